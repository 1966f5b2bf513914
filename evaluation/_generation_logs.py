"""Reading evaluation logs (lm-evaluation-harness, Inspect AI) into the generation task's plain table.

Two formats are read, offline and without either library installed:

* lm-evaluation-harness's per-sample logs, ``samples_<task>_<timestamp>.jsonl`` written with
  ``--log_samples`` (one JSON object per document and filter; ``lm_eval/loggers/evaluation_tracker.py``);
* Inspect AI's evaluation logs: the JSON log (``--log-format json``) and the ``.eval`` zip (one
  ``samples/<id>_epoch_<epoch>.json`` entry per sample, ``inspect_ai/log/_recorders/eval.py``).

Each becomes a :class:`pyarrow.Table` with the columns the generation task finds by name
(:data:`evaluation._generation.GENERATION_ALIASES`): ``id``, ``prompt``, ``output``, ``reference``,
``score_<metric>`` per numeric per-example metric, ``nll``/``n_tokens``/``n_bytes`` for perplexity logs,
and metadata (``doc_<field>`` of lm-eval, ``metadata_<key>`` and ``epoch`` of Inspect). Every problem
with a log is an :class:`~evaluation.EvaluationError` naming the file and what was expected.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import re
import zipfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from ._errors import EvaluationError, clip, format_names
from ._io import Source, source_name

__all__ = ["LogFormat", "log_format", "read_log", "read_logs"]

LogFormat = Literal["lm_eval", "inspect"]

_HEAD = 1 << 12  # bytes looked at to recognise a log
_RAW_HEAD = 1 << 16  # compressed bytes read to get them from a gzipped log
_LM_EVAL_NAME = re.compile(r"^samples_(?P<task>.+)_(?P<stamp>\d{4}-\d{2}-\d{2}T[\d.\-]+)\.jsonl(\.gz)?$", re.IGNORECASE)
_LM_EVAL_FIELDS = frozenset({"doc_id", "doc", "target", "arguments", "resps", "filtered_resps", "filter", "metrics",
                             "doc_hash", "prompt_hash", "target_hash"})
_WEIGHTED = {"word_perplexity": "n_tokens", "byte_perplexity": "n_bytes", "bits_per_byte": "n_bytes"}
"""lm-eval's metrics whose per-sample value is a ``[loglikelihood, weight]`` pair, and the weight's column."""
_INSPECT_LETTERS = {"C": 1.0, "I": 0.0, "P": 0.5, "N": 0.0}  # Inspect's CORRECT, INCORRECT, PARTIAL, NOANSWER
_ZIP_MAGIC = b"PK\x03\x04"


def log_format(source: Source) -> LogFormat | None:
    """Which evaluation log a file is, from its name and first bytes.

    Parameters
    ----------
    source:
        A path or a ``(filename, bytes)`` upload.

    Returns
    -------
    ``"lm_eval"`` for lm-evaluation-harness's ``samples_<task>_<timestamp>.jsonl`` (or any JSON Lines file whose
    first record has ``doc_id`` and ``filtered_resps``), ``"inspect"`` for an Inspect ``.eval`` zip or JSON log,
    else ``None`` (a plain prediction file).

    Examples
    --------
    >>> log_format(("samples_gsm8k_2024-06-28T10-11-12.123456.jsonl", b'{"doc_id": 0}'))
    'lm_eval'
    >>> log_format(("run.json", b'{"version": 2, "status": "success", "eval": {}}')), log_format(("a.csv", b"id"))
    ('inspect', None)
    """
    name = source_name(source)
    if _LM_EVAL_NAME.match(name):
        return "lm_eval"
    try:
        head = _head(source)
    except OSError:
        return None
    lower = name.lower()
    if head.startswith(_ZIP_MAGIC):
        return "inspect" if lower.endswith(".eval") else None
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if lower.endswith(".json") and text.startswith("{") and '"eval"' in text and ('"status"' in text
                                                                                  or '"version"' in text):
        return "inspect"
    if lower.endswith((".jsonl", ".jsonl.gz")) and text.startswith("{") and '"doc_id"' in text \
            and '"filtered_resps"' in text:
        return "lm_eval"
    return None


def read_log(source: Source) -> pa.Table:
    """Read one evaluation log into the generation task's table (one row per example).

    Parameters
    ----------
    source:
        A path or ``(filename, bytes)``: lm-evaluation-harness ``samples_<task>_<timestamp>.jsonl`` (gzip
        allowed), or an Inspect log (``.json``, or ``.eval`` with deflate-compressed entries).

    Returns
    -------
    pyarrow.Table
        ``id``, ``prompt``, ``output``, ``reference``, ``score_<metric>`` columns, ``nll``/``n_tokens``/``n_bytes``
        for lm-eval perplexity tasks, and metadata columns (see ``docs/generation.md``).

    Raises
    ------
    EvaluationError
        A file that is neither log, or a log that is malformed (the message names the file and what was expected).

    Examples
    --------
    >>> line = {"doc_id": 0, "target": "4", "arguments": {"gen_args_0": {"arg_0": "2+2=", "arg_1": {}}},
    ...         "filtered_resps": ["4"], "filter": "none", "metrics": ["exact_match"], "exact_match": 1.0}
    >>> read_log(("samples_arith_2024-01-01T00-00-00.jsonl", json.dumps(line).encode())).to_pylist()
    [{'id': '0', 'prompt': '2+2=', 'output': '4', 'reference': '4', 'score_exact_match': 1.0}]
    """
    name = source_name(source)
    data = _data(source)  # a missing or unreadable file is named as such
    kind = log_format(source)
    if kind == "lm_eval":
        return _table(_lm_eval_rows(data, name))
    if kind == "inspect":
        return _table(_inspect_rows(data, name))
    raise EvaluationError(f"{name}: not an evaluation log; expected lm-evaluation-harness samples_<task>_<timestamp>.jsonl "
                          "or an Inspect log (.eval or .json)", file=name)


def read_logs(sources: Sequence[Source]) -> pa.Table:
    """Read several logs of one model (lm-eval writes one samples file per task) into one table.

    With more than one log, each id becomes ``<task>/<id>`` and a ``task`` column says where a row came from
    (lm-eval's task from the ``samples_<task>_<timestamp>`` file name; otherwise the file name before its first dot).

    Examples
    --------
    >>> rows = [{"doc_id": 0, "target": "a", "filtered_resps": ["a"], "acc": 1}]
    >>> data = json.dumps(rows[0]).encode()
    >>> read_logs([("samples_x_2024-01-01T00-00-00.jsonl", data), ("samples_y_2024-01-01T00-00-00.jsonl", data)]
    ...           ).column("id").to_pylist()
    ['x/0', 'y/0']
    """
    if len(sources) == 1:
        return read_log(sources[0])
    rows: list[dict[str, Any]] = []
    for source in sources:
        table = read_log(source)
        task = _task_name(source)
        rows.extend({**row, "id": f"{task}/{row['id']}", "task": task} for row in table.to_pylist())
    return _table(rows)


# --- lm-evaluation-harness ---------------------------------------------------------------------------

def _lm_eval_rows(data: bytes, name: str) -> list[dict[str, Any]]:
    """One row per document; several filters give ``score_<metric>_<filter>`` columns and the first filter's output."""
    records = []
    for number, line in enumerate(data.decode("utf-8-sig", errors="strict").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise EvaluationError(f"{name}: line {number} is not JSON ({error.msg}); expected one lm-evaluation-harness "
                                  "sample per line", file=name) from None
        if not isinstance(record, dict) or "doc_id" not in record or "target" not in record:
            raise EvaluationError(f"{name}: line {number} has no doc_id or target; expected an lm-evaluation-harness "
                                  "sample (doc_id, doc, target, arguments, resps, filtered_resps, metric values)",
                                  file=name)
        records.append(record)
    if not records:
        raise EvaluationError(f"{name}: no samples; expected one lm-evaluation-harness sample per line", file=name)
    filters = list(dict.fromkeys(str(r.get("filter", "none")) for r in records))
    rows: dict[str, dict[str, Any]] = {}
    for record in records:
        key = str(record["doc_id"])
        row = rows.get(key)
        first = row is None
        if row is None:
            row = rows[key] = {"id": key, "prompt": _lm_eval_prompt(record), "output": _lm_eval_output(record),
                               "reference": _lm_eval_reference(record)}
        suffix = "" if len(filters) == 1 else f"_{record.get('filter', 'none')}"
        for metric, value in _lm_eval_metrics(record):
            if metric in _WEIGHTED:
                if not _pair(value):
                    raise EvaluationError(f"{name}: doc_id {key}: {metric} is {clip(repr(value), width=60)}; expected a "
                                          "[loglikelihood, weight] pair", file=name, column=metric)
                row["nll"] = -float(value[0])
                row[_WEIGHTED[metric]] = float(value[1])
            elif metric == "perplexity":
                continue  # lambada's per-sample "perplexity" is the continuation's log-likelihood, not a score
            elif isinstance(value, bool) or (isinstance(value, int | float) and math.isfinite(value)):
                row[f"score_{metric}{suffix}"] = float(value)
        if first and isinstance(record.get("doc"), Mapping):
            row.update({f"doc_{k}": v for k, v in record["doc"].items() if _plain(v)})
    out = list(rows.values())
    if any(isinstance(row["reference"], list) for row in out):  # several gold answers: every row a list of references
        for row in out:
            row["reference"] = row["reference"] if isinstance(row["reference"], list) else [row["reference"]]
    if any("nll" in row for row in out) and not all("n_tokens" in row for row in out):
        for row in out:  # without word counts the engine has no perplexity to compute
            row.pop("nll", None)
    return out


def _lm_eval_metrics(record: Mapping[str, Any]) -> Iterable[tuple[str, Any]]:
    """The per-sample metric values: the ``metrics`` list when written (lm-eval >= 0.4.3), else every other field."""
    names = record.get("metrics")
    if isinstance(names, list):
        return ((str(n), record[n]) for n in names if n in record)
    return ((k, v) for k, v in record.items() if k not in _LM_EVAL_FIELDS)


def _requests(record: Mapping[str, Any]) -> list[list[Any]]:
    """``arguments`` as a list of argument lists: written as ``{"gen_args_0": {"arg_0": ...}}`` or as lists."""
    arguments = record.get("arguments")
    if isinstance(arguments, Mapping):
        return [list(a.values()) if isinstance(a, Mapping) else [a] for a in arguments.values()]
    if isinstance(arguments, list):
        return [list(a) if isinstance(a, list | tuple) else [a] for a in arguments]
    return []


def _generates(record: Mapping[str, Any]) -> bool:
    """A ``generate_until`` request: its second argument is the generation settings (a JSON object)."""
    requests = _requests(record)
    return bool(requests) and len(requests[0]) > 1 and isinstance(requests[0][1], Mapping)


def _lm_eval_prompt(record: Mapping[str, Any]) -> str | None:
    """The context of the first request (not for rolling log-likelihood, whose only argument is the scored text)."""
    requests = _requests(record)
    if not requests or len(requests[0]) < 2 or not isinstance(requests[0][0], str):
        return None
    return requests[0][0]


def _lm_eval_reference(record: Mapping[str, Any]) -> str | list[str]:
    """The target as text; a multiple-choice target (the index of the right choice) becomes that choice's text; a
    list of gold answers (as open-domain question answering tasks write it) stays a list: several references."""
    if isinstance(record["target"], list) and record["target"] and all(isinstance(t, str) for t in record["target"]):
        return list(record["target"])
    target = str(record["target"]).strip()
    requests = _requests(record)
    if target.isdigit() and not _generates(record) and len(requests) > 1 and int(target) < len(requests):
        choice = requests[int(target)]
        if len(choice) > 1 and isinstance(choice[1], str):
            return choice[1].strip()
    return str(record["target"])


def _lm_eval_output(record: Mapping[str, Any]) -> str:
    """The first filtered response of a generation task; log-likelihood tasks write no text (``""``)."""
    responses = record.get("filtered_resps")
    if not _generates(record) or not isinstance(responses, list) or not responses:
        return ""
    first = responses[0]
    while isinstance(first, list) and first:  # repeats > 1 give a list of responses
        first = first[0]
    return first if isinstance(first, str) else ""


def _plain(value: object) -> bool:
    """A value to slice by: text, a whole number, a truth value or a finite number (not a list or record)."""
    return isinstance(value, str | int | bool) or (isinstance(value, float) and math.isfinite(value))


def _pair(value: object) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value)


# --- Inspect AI --------------------------------------------------------------------------------------

def _inspect_rows(data: bytes, name: str) -> list[dict[str, Any]]:
    """One row per sample and epoch, from a JSON log or from the ``samples/`` entries of an ``.eval`` zip."""
    samples = _eval_zip_samples(data, name) if data.startswith(_ZIP_MAGIC) else _json_log_samples(data, name)
    if not samples:
        raise EvaluationError(f"{name}: the log has no samples; expected samples (a log written with samples, "
                              "not a header-only log)", file=name)
    epochs = max(int(s.get("epoch", 1) or 1) for s in samples)
    rows = []
    for index, sample in enumerate(samples, start=1):
        if not isinstance(sample, Mapping) or "id" not in sample or "target" not in sample:
            raise EvaluationError(f"{name}: sample {index} has no id or target; expected an Inspect sample (id, epoch, "
                                  "input, target, output, scores)", file=name)
        epoch = int(sample.get("epoch", 1) or 1)
        row: dict[str, Any] = {
            "id": str(sample["id"]),  # with several epochs, the epoch column numbers the samples of an id
            "prompt": _inspect_prompt(sample.get("input")),
            "output": _inspect_output(sample.get("output")),
            "reference": _inspect_target(sample["target"]),
        }
        for scorer, score in (sample.get("scores") or {}).items():
            value = score.get("value") if isinstance(score, Mapping) else None
            if isinstance(value, Mapping):
                for key, part in value.items():
                    row[f"score_{scorer}_{key}"] = _inspect_float(part)
            elif not isinstance(value, list):
                row[f"score_{scorer}"] = _inspect_float(value)
        if epochs > 1:
            row["epoch"] = epoch
        for key, value in (sample.get("metadata") or {}).items():
            if isinstance(value, str | int | float | bool) or value is None:
                row[f"metadata_{key}"] = value
        rows.append(row)
    return rows


def _json_log_samples(data: bytes, name: str) -> list[Any]:
    try:
        log = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise EvaluationError(f"{name}: not valid JSON ({clip(str(error), width=80)}); expected an Inspect JSON log",
                              file=name) from None
    if not isinstance(log, Mapping) or not isinstance(log.get("samples", []), list):
        raise EvaluationError(f"{name}: expected an Inspect JSON log (an object with eval and a samples list)",
                              file=name)
    return list(log.get("samples") or [])


def _eval_zip_samples(data: bytes, name: str) -> list[Any]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = sorted(n for n in archive.namelist() if n.startswith("samples/") and n.endswith(".json"))
            return [json.loads(archive.read(entry).decode("utf-8")) for entry in entries]
    except NotImplementedError:
        raise EvaluationError(f"{name}: the .eval log's entries use a compression Python's zipfile cannot read; "
                              "expected deflate, or convert it with `inspect log convert --to json`", file=name) from None
    except (zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError, OSError, EOFError) as error:
        raise EvaluationError(f"{name}: not a readable Inspect .eval log ({clip(str(error), width=80)}); expected a "
                              "zip with samples/<id>_epoch_<n>.json entries", file=name) from None


def _content_text(content: object) -> str:
    """A message's text: the string, or the ``text`` parts of a content list joined (images and reasoning left out)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content
                       if isinstance(part, Mapping) and part.get("type") == "text")
    return ""


def _inspect_prompt(value: object) -> str | None:
    """The input text, or the last user message's text."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        users = [m for m in value if isinstance(m, Mapping) and m.get("role") == "user"]
        return _content_text(users[-1].get("content")) if users else None
    return None


def _inspect_output(output: object) -> str:
    """``output.completion``, else the first choice's message text."""
    if not isinstance(output, Mapping):
        return ""
    if isinstance(output.get("completion"), str):
        return str(output["completion"])
    choices = output.get("choices") or []
    if choices and isinstance(choices[0], Mapping) and isinstance(choices[0].get("message"), Mapping):
        return _content_text(choices[0]["message"].get("content"))
    return ""


def _inspect_target(target: object) -> list[str]:
    """A sample's references: Inspect's target is a string or a list of them (any of which is right)."""
    if isinstance(target, list):
        return [str(t) for t in target] or [""]
    return [str(target)]


def _inspect_float(value: object) -> float | None:
    """A score value as Inspect's ``value_to_float()`` reads it; ``None`` (an unscored sample) stays missing."""
    if value is None:
        return None
    if isinstance(value, bool | int | float):
        return float(value)
    if isinstance(value, str):
        if value in _INSPECT_LETTERS:
            return _INSPECT_LETTERS[value]
        lowered = value.lower()
        if lowered in ("yes", "true"):
            return 1.0
        if lowered in ("no", "false"):
            return 0.0
        try:
            number = float(value)
        except ValueError:
            return 0.0  # Inspect warns and scores 0
        return number if math.isfinite(number) else 0.0
    return 0.0


# --- shared ------------------------------------------------------------------------------------------

def _table(rows: list[dict[str, Any]]) -> pa.Table:
    """Rows as a table: the roles first, then scores and log-likelihoods, then metadata; mixed columns as text."""
    seen = list(dict.fromkeys(key for row in rows for key in row))
    rank = {"id": 0, "prompt": 1, "output": 2, "reference": 3, "nll": 5, "n_tokens": 6, "n_bytes": 7}
    names = sorted(seen, key=lambda c: (rank.get(c, 4 if c.startswith("score_") else 8), seen.index(c)))
    columns = {}
    for column in names:
        values = [row.get(column) for row in rows]
        if column == "prompt" and all(v is None for v in values):
            continue  # a log without contexts (rolling log-likelihood) has no prompt
        try:
            columns[column] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed kinds (numbers and text): kept as text
            columns[column] = pa.array([None if v is None else str(v) for v in values], pa.string())
    return pa.table(columns)


def _data(source: Source) -> bytes:
    """The file's bytes, gunzipped when gzip."""
    name = source_name(source)
    if isinstance(source, tuple):
        data = bytes(source[1])
    elif isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as error:
            raise EvaluationError(f"{name}: could not be read ({error.strerror or error})", file=name) from None
    if data.startswith(b"\x1f\x8b"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as error:
            raise EvaluationError(f"{name}: broken gzip data ({error}); expected a gzipped log", file=name) from None
    return data


def _head(source: Source) -> bytes:
    """The first bytes of a file, decompressed when gzip (a partial stream is enough)."""
    if isinstance(source, tuple):
        head = bytes(source[1][:_RAW_HEAD])
    elif isinstance(source, bytes | bytearray | memoryview):
        head = bytes(source[:_RAW_HEAD])
    else:
        with open(source, "rb") as handle:
            head = handle.read(_RAW_HEAD)
    if head.startswith(b"\x1f\x8b"):
        try:
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, _HEAD)
        except zlib.error:
            return b""
    return head[:_HEAD]


def _task_name(source: Source) -> str:
    """lm-eval's task from ``samples_<task>_<timestamp>.jsonl``; else the file name without its extensions."""
    name = source_name(source)
    match = _LM_EVAL_NAME.match(name)
    if match:
        return match.group("task")
    return name.split(".", 1)[0] or format_names([name])

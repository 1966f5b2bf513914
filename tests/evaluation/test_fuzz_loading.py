"""Fuzzing the loaders, and the probe's hostile inputs kept as regressions.

Whatever bytes arrive (random bytes, or a CSV, TSV, JSON Lines or Parquet file, gzipped or not,
with ragged rows, odd line ends, NUL bytes, BOMs, huge fields, then mutated or truncated), reading,
inspecting or loading them either works or raises :class:`EvaluationError` with a short message:
never another exception, and never a crash of Arrow underneath.
"""

from __future__ import annotations

import gzip
import io
import json
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluation import EvaluationError, LoadOptions, inspect_file, load_classification
from evaluation._io import read_table
from evaluation._limits import Limits

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "tests" / "data" / "hostile"
# Low limits, so that the fuzzing reaches every limit's check as well as the parsers.
LIMITS = Limits(max_bytes=1 << 22, max_rows=2_000, max_classes=30, max_metadata_columns=10, max_label_length=50,
                max_field_bytes=1 << 12)
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

NAMES = st.one_of(
    st.sampled_from(["id", "label", "prediction", "prob_a", "prob_b", "score", "split", "timestamp", "city", "", "ID",
                     "y_true", "pred", "p_a", "p_b", "gold", "date", "uid", "prob_0", "prob_1", "a,b", '"q"', "\ufeffid"]),
    st.text(max_size=8))
CELLS = st.one_of(
    st.sampled_from(["", "NA", "1", "1.0", "0.5", "-3", "1e400", "nan", "inf", "\x00", "\ufeff", '"', '""', ",", "\t",
                     "\r", "\n", "train", "a", "b", "0", "1e99999999999", "9" * 5_000, "2024-05-31", "1700000000",
                     "[1]", "{}", "null", "true", "é", "x" * 5_000, "-0", "0.3333", "100"]),
    st.text(max_size=8), st.integers(-5, 5).map(str), st.floats().map(repr))
EXTENSIONS = ["csv", "tsv", "txt", "jsonl", "parquet"]


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    """A header and rows, some of them ragged."""
    header = draw(st.lists(NAMES, max_size=7))
    width = st.integers(max(0, len(header) - 1), len(header) + 1)
    rows = draw(st.lists(width.flatmap(lambda n: st.lists(CELLS, min_size=n, max_size=n)), max_size=12))
    return header, rows


@st.composite
def text_tables(draw: st.DrawFn, kind: str) -> bytes:
    """A table written as delimited text or JSON Lines, with odd line ends, quoting, BOMs and bad lines.

    Sometimes its rows are repeated past the fuzzing's row limit, to reach the counting of rows.
    """
    header, rows = draw(tables())
    rows = rows * draw(st.sampled_from([1, 1, 1, 250]))
    if kind == "jsonl":
        values = st.one_of(CELLS, st.floats(), st.integers(), st.none(), st.lists(st.integers(), max_size=2),
                           st.dictionaries(st.text(max_size=2), st.integers(), max_size=2))
        lines = [json.dumps({column: draw(values) if draw(st.booleans()) else value
                             for column, value in zip(header, row, strict=False)}, ensure_ascii=draw(st.booleans()))
                 for row in rows]
        lines += draw(st.lists(st.sampled_from(["[1, 2]", "{", "1", "null", " null", "", '{"a": 1}{"b": 2}', "[[[]]]"]),
                               max_size=2))
        text = "\n".join(draw(st.permutations(lines)))
    else:
        delimiter = "\t" if kind == "tsv" else draw(st.sampled_from([",", ",", ";", "|", "\t"]))
        end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
        quote = draw(st.booleans())

        def cell(value: str) -> str:
            return '"' + value.replace('"', '""') + '"' if quote else value

        text = end.join(delimiter.join(cell(value) for value in row) for row in [header, *rows])
        text += end if draw(st.booleans()) else ""
    if draw(st.integers(0, 9)) == 0:
        text = "\ufeff" + text
    return text.encode("utf-8", errors="surrogatepass")


@st.composite
def parquet_tables(draw: st.DrawFn) -> bytes:
    """A small Parquet file of text, numbers and categories."""
    header, rows = draw(tables())
    columns = list(dict.fromkeys(header)) or ["label"]
    frame = pd.DataFrame({column: [row[i] if i < len(row) else None for row in rows] for i, column in enumerate(columns)})
    for column in columns[: draw(st.integers(0, len(columns)))]:
        converted = pd.to_numeric(frame[column], errors="coerce")
        frame[column] = converted if draw(st.booleans()) else frame[column].astype("category")
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=draw(st.booleans()))
    return buffer.getvalue()


@st.composite
def mutated(draw: st.DrawFn, content: bytes) -> bytes:
    """Bytes flipped, inserted (NUL, line ends, quotes, stray UTF-8 lead bytes) or deleted, or the end cut off."""
    data = bytearray(content)
    for _ in range(draw(st.integers(0, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "insert", "delete"]))
        if action == "flip":
            data[at] = draw(st.integers(0, 255))
        elif action == "insert":
            data[at:at] = draw(st.sampled_from([b"\x00", b"\n", b"\r", b'"', b",", b"\t", b"\xff", b"\xc3", b"\xef\xbb\xbf"]))
        else:
            del data[at]
    if draw(st.integers(0, 4)) == 0:
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


@st.composite
def prediction_files(draw: st.DrawFn) -> tuple[str, bytes]:
    """A file as a user, or an attacker, might upload it: any format, perhaps damaged, perhaps gzipped."""
    kind = draw(st.sampled_from(EXTENSIONS))
    content = draw(parquet_tables()) if kind == "parquet" else draw(text_tables(kind))
    if draw(st.booleans()):
        content = draw(mutated(content))
    name = f"fuzz.{kind}"
    if draw(st.integers(0, 3)) == 0:
        content = gzip.compress(content, mtime=0)
        name += ".gz"
        if draw(st.booleans()):
            content = draw(mutated(content))
    return name, content


@st.composite
def plausible_pairs(draw: st.DrawFn) -> list[tuple[str, bytes]]:
    """Two files on the same examples, as a user would make them, with hostile values in the other columns.

    Most fuzzed files are refused early (no label column, ids that differ); these get through to the
    checks of timestamps, scores, probabilities, splits and metadata.
    """
    rows = draw(st.integers(1, 12))
    labels = draw(st.lists(st.sampled_from(["a", "b", "c", "0", "1", "1.0", " a", "2"]), min_size=rows, max_size=rows))
    extra = draw(st.lists(st.sampled_from(["timestamp", "date", "score", "prob_a", "prob_b", "prob_c", "split", "city",
                                           "age"]), max_size=3, unique=True))
    values = st.one_of(CELLS, st.floats().map(repr), st.sampled_from(["1e20", "-1e20", "1e12", "0.5", "0.25", "2024-05-31"]))
    columns = {"id": [f"e{i}" for i in range(rows)], "label": labels}
    columns |= {name: draw(st.lists(values, min_size=rows, max_size=rows)) for name in extra}
    kind = draw(st.sampled_from(["csv", "jsonl", "parquet"]))
    files = []
    for name in ("base", "candidate"):
        frame = pd.DataFrame(columns | {"prediction": draw(st.lists(st.sampled_from(labels), min_size=rows, max_size=rows))})
        if kind == "parquet":
            for column in extra:
                if draw(st.booleans()):
                    frame[column] = pd.to_numeric(frame[column], errors="coerce")
            buffer = io.BytesIO()
            frame.to_parquet(buffer, index=False)
            files.append((f"{name}.parquet", buffer.getvalue()))
        elif kind == "jsonl":
            files.append((f"{name}.jsonl", frame.to_json(orient="records", lines=True).encode()))
        else:
            files.append((f"{name}.csv", frame.to_csv(index=False).encode()))
    return files


@settings(FUZZ, max_examples=250)
@given(files=plausible_pairs(), drop=st.booleans(), shared=st.booleans())
def test_loading_plausible_files_with_hostile_values_works_or_raises_evaluation_error(
        files: list[tuple[str, bytes]], drop: bool, shared: bool) -> None:
    works_or_refuses(load_classification, files, options=LoadOptions(drop_train_rows=drop, shared_ids_only=shared))


def works_or_refuses(work, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
    """Run a loader: it may succeed or raise EvaluationError with a short message; anything else fails the test."""
    try:
        work(*args, **kwargs)
    except EvaluationError as error:
        assert len(str(error)) < 2_000, str(error)[:3_000]


@FUZZ
@given(file=prediction_files())
def test_reading_any_file_works_or_raises_evaluation_error(file: tuple[str, bytes]) -> None:
    works_or_refuses(read_table, file, limits=LIMITS)
    works_or_refuses(read_table, file)


@FUZZ
@given(file=prediction_files(), partner=prediction_files())
def test_inspecting_and_loading_any_files_works_or_raises_evaluation_error(
        file: tuple[str, bytes], partner: tuple[str, bytes]) -> None:
    works_or_refuses(inspect_file, file, limits=LIMITS)
    works_or_refuses(load_classification, [file, (partner[0].replace("fuzz", "other"), partner[1])],
                     options=LoadOptions(limits=LIMITS))


@FUZZ
@given(extension=st.sampled_from([*EXTENSIONS, "csv.gz", "parquet.gz", "jsonl.gz"]),
       content=st.one_of(st.binary(max_size=400), st.binary(max_size=60).map(lambda b: b"\x1f\x8b" + b),
                         st.binary(max_size=60).map(lambda b: b"PAR1" + b + b"PAR1")))
def test_random_bytes_are_refused_with_evaluation_error(extension: str, content: bytes) -> None:
    works_or_refuses(read_table, (f"random.{extension}", content), limits=LIMITS)
    works_or_refuses(load_classification, [(f"random.{extension}", content)] * 2)


# --- the probe's inputs ----------------------------------------------------------------------------

def test_the_probes_small_crash_inputs_now_load() -> None:
    data = load_classification([HOSTILE / "long_then_short_id.csv", HOSTILE / "long_then_short_id_candidate.csv"])
    assert data.ids.tolist() == ["this-is-a-rather-long-identifier-0001", "b"]
    cr_only = read_table(HOSTILE / "cr_only.csv")
    assert cr_only.num_rows == 4 and cr_only.column_names == ["id", "label", "prediction"]
    with pytest.raises(EvaluationError, match=r"gzip_damaged_mid\.csv\.gz: the gzip data is damaged or truncated"):
        read_table(HOSTILE / "gzip_damaged_mid.csv.gz")


@pytest.mark.parametrize("content", [b"null\n", b'\xef\xbb\xbf\nnull\n{}\n{}', b"null x\n", b'{"a": 1}\n' * 20 + b"null\n"])
def test_json_lines_holding_a_bare_null_are_refused_before_arrow_crashes_on_them(content: bytes) -> None:
    with pytest.raises(EvaluationError, match=r"holds null, not an object"):
        read_table(("null.jsonl", content))


def gzip_bomb(path: Path, rows: int) -> None:
    """A CSV of ``rows`` identical rows, gzipped to a few hundred kilobytes without compressing them all.

    One block of rows is compressed once, ending with a full flush (which makes its compressed
    bytes independent of what came before), and repeated; the CRC is computed over the rows.
    """
    header, line = b"id,label,prediction\n", b"1,a,a\n"
    block = line * (1 << 17)
    repeats, rest = divmod(rows, 1 << 17)
    assert rest == 0
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(header) + compressor.flush(zlib.Z_FULL_FLUSH)
    unit = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(header)
    for _ in range(repeats):
        crc = zlib.crc32(block, crc)
    size = len(header) + len(block) * repeats
    with open(path, "wb") as handle:
        handle.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + head)
        for _ in range(repeats):
            handle.write(unit)
        handle.write(b"\x03\x00" + struct.pack("<II", crc, size & 0xFFFFFFFF))


MEASURE = """
import json, resource, sys, time
import pandas, pyarrow.parquet, scipy  # imported before measuring: what loading needs anyway
from evaluation import EvaluationError, Limits, LoadOptions, load_classification
limits = Limits(**json.loads(sys.argv[2]))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    load_classification([sys.argv[1], sys.argv[1]], names=["a", "b"], options=LoadOptions(limits=limits))
    message = None
except EvaluationError as error:
    message = str(error)
growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps({"message": message, "seconds": time.perf_counter() - start, "growth_mb": growth}))
"""


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "bomb.csv.gz"
    gzip_bomb(path, 50 * (1 << 20))  # 52 million rows, 315 MB once decompressed
    assert path.stat().st_size < 600_000
    return path


def measured(path: Path, **limits: int) -> dict:
    result = subprocess.run([sys.executable, "-c", MEASURE, str(path), json.dumps(limits)], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_gzip_bomb_of_fifty_million_rows_stops_at_the_byte_limit(bomb: Path) -> None:
    # The probe: two 290 KB .csv.gz files of 50M rows drove the CLI to 10.5 GB.
    run = measured(bomb, max_bytes=32 << 20)
    assert run["message"] == ("bomb.csv.gz: more than 32 MiB of data once decompressed (decompression stopped there); the "
                              "limit is 32 MiB per file (raise it with --max-bytes)")
    assert run["seconds"] < 5 and run["growth_mb"] < 150


def test_a_gzip_bomb_of_fifty_million_rows_stops_at_the_row_limit(bomb: Path) -> None:
    # Within the byte limits, its rows are counted as a stream and stop at the row limit, before Arrow builds a table.
    run = measured(bomb, max_rows=2_000_000)
    assert run["message"] == ("bomb.csv.gz: the file has more than 2,000,000 data rows; the limit is 2,000,000 rows per file "
                              "(raise it with --max-rows)")
    assert run["seconds"] < 20 and run["growth_mb"] < 700  # the 315 MB of text, not the 10 GB of the probe


def test_a_parquet_file_of_many_dictionary_rows_is_refused_from_its_metadata(tmp_path: Path) -> None:
    # The probe: a 787 KB Parquet file of 50M dictionary-encoded rows passed 8 GB.
    rows = 5_000_000
    zeros = pa.array(pd.Series([0] * rows, dtype="int32"))
    labels = pa.DictionaryArray.from_arrays(zeros, pa.array(["a"]))
    pq.write_table(pa.table({"label": labels, "prediction": labels}), tmp_path / "rows.parquet", row_group_size=rows)
    start = time.perf_counter()
    with pytest.raises(EvaluationError) as info:
        load_classification([tmp_path / "rows.parquet"] * 2, names=["a", "b"], options=LoadOptions(limits=LIMITS))
    assert time.perf_counter() - start < 1
    assert str(info.value) == ("rows.parquet: the file has 5,000,000 data rows; the limit is 2,000 rows per file (raise it "
                               "with --max-rows)")

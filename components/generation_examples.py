"""The Examples page of a generation comparison: each example's outputs and its change in ROUGE-L, worst first.

Pure functions (no Streamlit), tested directly. The per-example score is rouge-score's ROUGE-L F-measure
(:func:`evaluation.rouge_f`, the same that the engine averages): corpus BLEU, chrF and TER
are not sums of per-example scores, so a per-example change is read on ROUGE-L. Frames hold the real
text (``st.dataframe`` shows cells as plain text); :func:`highlighted_words` escapes every word for
Markdown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

import evaluation
from evaluation import GenerationData, rouge_f

__all__ = ["CHANGE", "KINDS", "SCORE_CHANGES", "SCORE_CHANGE_LABELS", "examples_table", "filter_examples",
           "highlighted_words", "score_columns"]

CHANGE = "ROUGE-L change"
"""The column of each example's candidate ROUGE-L F minus the baseline's (negative: worse)."""
KINDS: tuple[str, ...] = ("worse", "better", "unchanged")
SCORE_CHANGES: tuple[str, ...] = ("candidate lower", "candidate higher", "equal", "any")
"""Which examples a score filter keeps: the candidate's score below, above or equal to the baseline's, or any."""
SCORE_CHANGE_LABELS: dict[str, str] = {"candidate lower": "lower for the candidate",
                                       "candidate higher": "higher for the candidate", "equal": "equal for both",
                                       "any": "any value"}
"""How the page names each of :data:`SCORE_CHANGES`."""
_WORD = re.compile(r"\w+", re.UNICODE)


def examples_table(data: GenerationData, baseline: str, candidate: str, *, use_stemmer: bool = False) -> pd.DataFrame:
    """One row per example, largest regression in ROUGE-L first.

    Columns: ``id``, ``kind`` (worse, better, unchanged), ``ROUGE-L change``, ``baseline output``,
    ``candidate output``, ``reference`` (several joined by " | "), ``prompt`` (when the files have one), ``ROUGE-L baseline``,
    ``ROUGE-L candidate``, then for each ``score_<name>`` column of the files ``score_<name> baseline``,
    ``score_<name> candidate`` and ``score_<name> change`` (candidate minus baseline), then every metadata column (to
    filter by slice). Ties keep the file order.
    ``use_stemmer``: as the report's ``rouge_stemmer`` setting.

    Examples
    --------
    >>> from evaluation import load_generation
    >>> data = load_generation([("a.jsonl", b'{"id": 1, "output": "the cat", "reference": "the cat"}\\n'),
    ...                         ("b.jsonl", b'{"id": 1, "output": "a dog", "reference": "the cat"}\\n')])
    >>> examples_table(data, "a", "b")[["id", "kind", "ROUGE-L change"]].to_dict("records")
    [{'id': '1', 'kind': 'worse', 'ROUGE-L change': -1.0}]
    """
    before, after = data.model(baseline).outputs, data.model(candidate).outputs
    if data.references is None or before is None or after is None:
        raise ValueError("the files hold language-model scores alone: no outputs or references to show")
    references = list(data.references)
    base = rouge_f(list(before), references, kind="rougeL", use_stemmer=use_stemmer)
    cand = rouge_f(list(after), references, kind="rougeL", use_stemmer=use_stemmer)
    change = cand - base
    frame = pd.DataFrame({"id": [str(i) for i in data.ids],
                          "kind": np.where(change < 0, "worse", np.where(change > 0, "better", "unchanged")),
                          CHANGE: change, "baseline output": list(before), "candidate output": list(after),
                          "reference": [" | ".join(refs) for refs in references]})
    if data.prompts is not None:
        frame["prompt"] = list(data.prompts)
    frame["ROUGE-L baseline"] = base
    frame["ROUGE-L candidate"] = cand
    for score in score_columns(data):
        base_score, cand_score = data.model(baseline).scores[score], data.model(candidate).scores[score]
        frame[f"{score} baseline"] = base_score
        frame[f"{score} candidate"] = cand_score
        frame[f"{score} change"] = cand_score - base_score
    for column in data.metadata.columns:
        if column not in frame.columns:
            frame[column] = data.metadata[column].to_numpy()
    return frame.sort_values(CHANGE, kind="stable").reset_index(drop=True)


def score_columns(data: GenerationData) -> list[str]:
    """The ``score_<name>`` columns every model has, in name order (:func:`examples_table` adds three columns each)."""
    return sorted(data.models[0].scores) if data.models else []


def filter_examples(table: pd.DataFrame, *, kinds: Sequence[str], column: str | None = None,
                    values: Sequence[str] = (), score: str | None = None, score_change: str = "any") -> pd.DataFrame:
    """The rows of the chosen kinds; when ``column`` and ``values`` are given, of those slice values; when ``score``
    (a ``score_<name>`` column) is given, those whose change in it is ``score_change`` (one of :data:`SCORE_CHANGES`).

    Raises
    ------
    ValueError
        ``score_change`` is not one of :data:`SCORE_CHANGES`, or the table has no change column for ``score``.

    Examples
    --------
    >>> table = pd.DataFrame({"kind": ["worse", "better", "better"], "score_judge change": [-1.0, 0.0, 2.0]})
    >>> len(filter_examples(table, kinds=["better"], score="score_judge", score_change="candidate higher"))
    1
    """
    if score_change not in SCORE_CHANGES:
        raise ValueError(f"score_change is {score_change!r}; expected one of {', '.join(SCORE_CHANGES)}")
    shown = table[table["kind"].isin(list(kinds))]
    if column is not None and values:
        shown = shown[shown[column].astype(str).isin([str(v) for v in values])]
    if score is not None and score_change != "any":
        change_column = f"{score} change"
        if change_column not in table.columns:
            raise ValueError(f"the table has no column {change_column!r}; expected a score column of the files")
        change = shown[change_column]
        keep = {"candidate lower": change < 0, "candidate higher": change > 0, "equal": change == 0}[score_change]
        shown = shown[keep]
    return shown


def highlighted_words(text: str, other: str) -> str:
    """``text`` as literal Markdown with its words absent from ``other`` in bold (case-insensitive; whitespace
    becomes single spaces).

    Examples
    --------
    >>> highlighted_words("the *big* cat", "the cat")
    'the **\\\\*big\\\\*** cat'
    """
    known = {word.lower() for word in _WORD.findall(other)}
    out = []
    for token in text.split():
        escaped = evaluation.escape_markdown(token)
        new = any(word.lower() not in known for word in _WORD.findall(token))
        out.append(f"**{escaped}**" if new and escaped else escaped)
    return " ".join(out)


"""User text stays text: Markdown escaping, shortening, CSV-injection neutralisation, the Markdown report.

The patterns below that Streamlit's Markdown rewrites after parsing (where a backslash escape no longer
counts) are copied from its frontend (remark-emoji, its Material-icon and logo plugins, the typographic
arrows, and mdast-util-gfm-autolink-literal); JavaScript's ``\\w`` is ASCII, hence ``re.ASCII``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import evaluation
from evaluation import csv_safe, csv_safe_frame, escape_markdown, markdown_cell, shorten, verdict_sentence
from tests.helpers import make_data, simulated_probabilities

WJ = "\u2060"  # word joiner
SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:=^&@")
LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
REWRITTEN_AFTER_PARSING = [
    re.compile(r":\+1:|:-1:|:[\w-]+:", re.ASCII),  # emoji shortcodes
    re.compile(r":material[/_](\w+):", re.ASCII),  # Material icons
    re.compile(r":streamlit:"),  # the Streamlit logo
    re.compile(r"(https?://|www(?=\.))([-.\w]+)", re.ASCII | re.IGNORECASE),  # literal autolinks
    re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)", re.ASCII),  # e-mail autolinks
    re.compile("(^|[\\s\ufeff])(<->|->|<-|--|>=|<=|~=)([\\s\ufeff]|$)"),  # arrows (JavaScript's \s has U+FEFF)
]

# Text as an attacker would write it, with every kind of markup.
MARKUP = st.lists(st.sampled_from([
    "![x](http://evil.example/a.png)", "[link](https://evil.example)", "<script>", "</b>", "**", "__", "~~", "`",
    "$x$", ":smile:", ":material/home:", ":streamlit:", ":red[", "]", "www.evil.example", "a@b.example", "->",
    "--", " ", "\n", "\r\n", "\t", "|", "\\", "# ", "> ", "1. ", "- ", "&amp;", "[^1]", "{#id}", "x", "é", "12:30",
]), max_size=8).map("".join)
TEXT = st.one_of(st.text(max_size=60), MARKUP)


def _rendered(markdown: str) -> str:
    """The text a Markdown reader gets: each backslash escape replaced by the character it escapes."""
    out, i = [], 0
    while i < len(markdown):
        if markdown[i] == "\\" and i + 1 < len(markdown) and markdown[i + 1] in SPECIAL:
            out.append(markdown[i + 1])
            i += 2
        else:
            out.append(markdown[i])
            i += 1
    return "".join(out)


def _unescaped_special(markdown: str) -> list[str]:
    """Markup characters that are not backslash-escaped."""
    found, i = [], 0
    while i < len(markdown):
        if markdown[i] == "\\":
            assert i + 1 < len(markdown) and markdown[i + 1] in SPECIAL, markdown  # never a dangling backslash
            i += 2
            continue
        if markdown[i] in SPECIAL:
            found.append(markdown[i])
        i += 1
    return found


def _line(text: str) -> str:
    """Text on one line: each line break (CR LF counts as one) and tab a space."""
    return re.sub(f"\r\n|[\t{LINE_BREAKS}]", " ", text)


def _one_line(text: str) -> str:
    return _line(text).strip()


class TestEscapeMarkdown:
    @pytest.mark.parametrize(("text", "expected"), [
        ("![x](http://evil.example/a.png)", f"\\!\\[x\\]\\(http{WJ}\\:{WJ}//evil\\.example/a\\.png\\)"),
        ("[link](http://x)", f"\\[link\\]\\(http{WJ}\\:{WJ}//x\\)"),
        ("<script>alert(1)</script>", "\\<script\\>alert\\(1\\)\\</script\\>"),
        ("**bold** _it_ ~~del~~ `code`", "\\*\\*bold\\*\\* \\_it\\_ \\~\\~del\\~\\~ \\`code\\`"),
        (":smile:", f"{WJ}\\:{WJ}smile{WJ}\\:{WJ}"),
        (":material/home:", f"{WJ}\\:{WJ}material/home{WJ}\\:{WJ}"),
        (":red[alert]", f"{WJ}\\:{WJ}red\\[alert\\]"),
        ("$x^2$", "\\$x\\^2\\$"),
        ("see www.evil.example", f"see www{WJ}\\.evil\\.example"),
        ("me@evil.example", f"me\\@{WJ}evil\\.example"),
        ("a -> b", f"a \\-{WJ}\\> b"),
        ("# 1. > + | = {} & !", "\\# 1\\. \\> \\+ \\| \\= \\{\\} \\& \\!"),
        ("&lt;b&gt;", "\\&lt;b\\&gt;"),
        ("back\\slash", "back\\\\slash"),
        ("line one\nline two\r\nthree\tfour", "line one line two three four"),
        ("  padded  ", "padded"),
        ("plain name 2024, v2", "plain name 2024, v2"),
        (3.5, "3\\.5"),
    ])
    def test_known_strings(self, text, expected):
        assert escape_markdown(text) == expected

    @given(TEXT)
    def test_no_markup_character_is_left_unescaped(self, text):
        escaped = escape_markdown(text)
        assert _unescaped_special(escaped) == []
        assert not any(char in escaped for char in LINE_BREAKS + "\t")

    @given(TEXT)
    def test_renders_as_the_text_itself(self, text):
        assert _rendered(escape_markdown(text)).replace(WJ, "") == _one_line(text)

    @given(TEXT)
    def test_nothing_is_rewritten_after_parsing(self, text):
        rendered = _rendered(escape_markdown(text))
        for pattern in REWRITTEN_AFTER_PARSING:
            assert not pattern.search(rendered), (pattern.pattern, rendered)

    def test_escapes_alone_would_not_stop_the_rewrites(self):
        # Why the word joiners: without them, the rendered text still has a link, an emoji and an icon.
        rendered = _rendered(escape_markdown("http://evil.example :smile: :material/home: :streamlit:").replace(WJ, ""))
        assert all(pattern.search(rendered) for pattern in REWRITTEN_AFTER_PARSING[:4])


class TestMarkdownCell:
    @given(TEXT)
    def test_never_an_unescaped_pipe_or_line_break(self, text):
        cell = markdown_cell(text)
        assert "|" not in _unescaped_special(cell)
        assert not any(char in cell for char in LINE_BREAKS)

    def test_known_string(self):
        assert markdown_cell("a|b\nc") == "a\\|b c"

    @given(st.lists(TEXT, min_size=1, max_size=4))
    def test_a_row_keeps_its_cells(self, texts):
        row = "| " + " | ".join(markdown_cell(text) for text in texts) + " |"
        assert len(_split_row(row)) == len(texts)


class TestShorten:
    @pytest.mark.parametrize(("text", "limit", "expected"), [
        ("short", 40, "short"),
        ("x" * 40, 40, "x" * 40),
        ("x" * 41, 40, "x" * 39 + "…"),
        ("two\nlines", 40, "two lines"),
        ("a fairly long model name", 10, "a fairly…"),
        (12345, 3, "12…"),
        ("abc", 1, "…"),
    ])
    def test_known_strings(self, text, limit, expected):
        assert shorten(text, limit) == expected

    @given(st.text(), st.integers(1, 80))
    def test_one_line_within_the_limit(self, text, limit):
        short = shorten(text, limit)
        assert len(short) <= limit
        assert not any(char in short for char in LINE_BREAKS)
        one_line = _line(text)
        assert short == one_line or (short.endswith("…") and one_line.startswith(short[:-1]))

    def test_limit_must_be_positive(self):
        with pytest.raises(ValueError, match="at least 1"):
            shorten("x", 0)


class TestCsvSafe:
    @pytest.mark.parametrize(("value", "expected"), [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-0.5", "'-0.5"),  # text that looks like a number is still text (OWASP)
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("  =1", "'  =1"),
        ("＝1", "'＝1"),
        ("cat", "cat"),
        ("a=b", "a=b"),
        ("", ""),
        (-0.5, -0.5),
        (-3, -3),
        (True, True),
        (None, None),
    ])
    def test_cells(self, value, expected):
        assert csv_safe(value) == expected

    def test_frame_with_mixed_columns(self):
        frame = pd.DataFrame({
            "=id": ["=1+1", "a", "-2"],
            "number": [-1.5, 2.0, np.nan],
            "count": [-1, 0, 1],
            "flag": [True, False, True],
            "label": pd.Series(["+x", None, "y"], dtype="string"),
            "mixed": ["@x", -4, None],
            "kind": pd.Categorical(["-a", "b", "-a"]),
        })
        safe = csv_safe_frame(frame)
        assert list(safe.columns) == ["'=id", "number", "count", "flag", "label", "mixed", "kind"]
        assert list(safe["'=id"]) == ["'=1+1", "a", "'-2"]
        assert safe["number"].equals(frame["number"]) and safe["count"].equals(frame["count"])
        assert safe["flag"].equals(frame["flag"])
        assert safe["label"].tolist()[0] == "'+x" and pd.isna(safe["label"].tolist()[1])
        assert safe["mixed"].tolist() == ["'@x", -4, None]
        assert safe["kind"].tolist() == ["'-a", "b", "'-a"]
        assert frame.columns[0] == "=id" and frame["=id"][0] == "=1+1"  # the input is not changed
        rows = list(csv.reader(io.StringIO(safe.to_csv(index=False))))
        assert rows[0][0] == "'=id" and rows[1] == ["'=1+1", "-1.5", "-1", "True", "'+x", "'@x", "'-a"]


# The Markdown report of models, classes and slices named by an attacker.

HOSTILE = ("a|b", "line\nbreak", "![img](http://x.example/a.png)", "[link](http://x.example)",
           "<script>alert(1)</script>", "**bold**")
BASELINE = "base | <b>x</b>\n![i](http://x.example/i.png)"
CANDIDATE = "[cand](http://evil.example) **v2**"
COLUMN = "col|[x](http://y.example)"


@pytest.fixture(scope="module")
def hostile_report() -> evaluation.ComparisonReport:
    rng = np.random.default_rng(0)
    n, k = 600, len(HOSTILE)
    y = rng.integers(0, k, n)
    base, cand = simulated_probabilities(rng, y, k, 1.0), simulated_probabilities(rng, y, k, 1.6)
    data = make_data(y, {BASELINE: base.argmax(axis=1), CANDIDATE: cand.argmax(axis=1)},
                     {BASELINE: base, CANDIDATE: cand}, classes=HOSTILE)
    data = dataclasses.replace(data, metadata=pd.DataFrame({COLUMN: rng.choice(list(HOSTILE), n)}))
    report = evaluation.compare(data, settings=evaluation.Settings(resamples=200, slice_resamples=60))
    return dataclasses.replace(report, warnings=("file [x](http://w.example).csv: 2 rows *dropped*",))


def _split_row(line: str) -> list[str]:
    """The cells of a GFM table row: split on pipes that are not backslash-escaped."""
    cells, current, i = [], [], 0
    body = line.strip()[1:-1] if line.strip().endswith("|") else line.strip()[1:]
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            current.append(body[i:i + 2])
            i += 2
        elif body[i] == "|":
            cells.append("".join(current))
            current, i = [], i + 1
        else:
            current.append(body[i])
            i += 1
    return [*cells, "".join(current)]


def _tables(markdown: str) -> list[list[str]]:
    tables: list[list[str]] = []
    previous = ""
    for line in markdown.splitlines():
        if line.startswith("|"):
            if not previous.startswith("|"):
                tables.append([])
            tables[-1].append(line)
        previous = line
    return tables


def test_markdown_report_tables_keep_their_shape(hostile_report):
    markdown = evaluation.report_to_markdown(hostile_report)
    tables = _tables(markdown)
    assert len(tables) >= 5
    for table in tables:
        widths = {len(_split_row(line)) for line in table}
        assert widths == {len(_split_row(table[0]))}, table
    per_class = next(table for table in tables if table[0].startswith("| class |"))
    assert len(per_class) == 2 + len(HOSTILE)  # header, delimiter, one row per class: no row was split


def test_markdown_report_has_no_link_image_or_html(hostile_report):
    markdown = evaluation.report_to_markdown(hostile_report)
    for markup in ("](", "![", "<script", "<b>", "**", "[x]", "[link]", "[cand]"):
        assert markup not in _rendered_markup(markdown), markup
    rendered = _rendered(markdown)
    for pattern in REWRITTEN_AFTER_PARSING[3:5]:  # no literal autolink either
        assert not pattern.search(rendered), pattern.pattern
    # ...and every name reads as itself.
    text = rendered.replace(WJ, "")
    for name in (*HOSTILE, BASELINE, CANDIDATE, COLUMN, "file [x](http://w.example).csv: 2 rows *dropped*"):
        assert _one_line(name) in text, name


def _rendered_markup(markdown: str) -> str:
    """The Markdown with every backslash-escaped character removed: what is left is markup."""
    return re.sub(r"\\.", "", markdown)


def test_verdict_sentence_plain_by_default_markdown_on_request(hostile_report):
    comparison = hostile_report.comparisons[0]
    plain = verdict_sentence(comparison, hostile_report)
    assert plain.startswith(f"{CANDIDATE} is significantly better than {BASELINE} on F1 (macro)")
    markdown = verdict_sentence(comparison, hostile_report, markup=True)
    assert markdown.startswith(f"{escape_markdown(CANDIDATE)} is significantly better than {escape_markdown(BASELINE)}")
    assert "](" not in _rendered_markup(markdown) and "\n" not in markdown
    assert _rendered(markdown).replace(WJ, "") == plain.replace("\n", " ")
    assert f"- {markdown}" in evaluation.report_to_markdown(hostile_report)

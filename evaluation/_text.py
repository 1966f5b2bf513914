"""User-supplied text (model names, class labels, file and column names, metadata values, ids) kept as text.

Every face shows names that came from the user's files. They must read as the characters they are,
never as markup: not Markdown in the dashboard and the Markdown report, not a formula in a
spreadsheet opening a CSV export. (Plotly's HTML subset is handled in ``components.charts_common``,
HTML in the HTML report by :func:`html.escape`.)

Markdown as Streamlit renders it (``st.markdown``, ``st.caption``, alerts, widget labels) is
CommonMark with GitHub's extensions (tables, strikethrough, footnotes, literal autolinks of
``www.…``/``http://…``/e-mail addresses), ``$…$`` maths, directives (``:red[…]``, ``:small[…]``,
``:help[…]``), and some rewrites of the *text* after parsing, where a backslash escape no longer shows:
emoji shortcodes (``:smile:``), Material icons (``:material/…:``), the ``:streamlit:`` logo,
arrows (`` -> `` becomes →) and the literal autolinks again. :func:`escape_markdown` escapes the
syntax and breaks those text patterns with an invisible U+2060 WORD JOINER.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["csv_safe", "csv_safe_frame", "escape_markdown", "markdown_cell", "shorten"]

WORD_JOINER = "\u2060"
"""Zero-width, not whitespace: splits ``:smile:`` or ``www.`` for a pattern, invisible to a reader."""

# ASCII punctuation with a meaning somewhere in CommonMark, GFM or Streamlit's extensions. Every ASCII
# punctuation character may be backslash-escaped in CommonMark, so escaping one never shows a backslash.
_MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()#+-.!|<>~$:=^&@")
_LINE_BREAK = re.compile(r"\r\n|[\n\r\t\v\f\x1c-\x1e\x85\u2028\u2029]")
# Text rewritten after parsing (so escapes do not stop it); a joiner goes where each position says.
_SPACE = r"[\s\ufeff]"
_ARROW = re.compile(rf"(?:(?<={_SPACE})|^)(?:<->|->|<-|--|>=|<=|~=)(?={_SPACE}|$)")  # -> becomes an arrow
_WWW = re.compile(r"www(?=\.)", re.IGNORECASE)  # www.example.org becomes a link
_CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _one_line(text: object) -> str:
    """``str(text)`` with every line break (and tab) replaced by a space."""
    return _LINE_BREAK.sub(" ", str(text))


def _joiner_positions(text: str) -> set[int]:
    """Indices before which a word joiner breaks a pattern Streamlit's Markdown rewrites after parsing."""
    positions: set[int] = set()
    for i, char in enumerate(text):
        if char == ":":  # :smile:, :material/icon:, :streamlit:, :red[…], http://, mailto:
            positions.update((i, i + 1))
        elif char == "@":  # name@example.org
            positions.add(i + 1)
    positions.update(match.start() + 1 for match in _ARROW.finditer(text))
    positions.update(match.end() for match in _WWW.finditer(text))
    return positions


def escape_markdown(text: object) -> str:
    """Text that Streamlit's Markdown (and any CommonMark/GFM renderer) shows literally, on one line.

    Backslash-escapes every ASCII punctuation character with a meaning (``\\ ` * _ { } [ ] ( ) # + - . !
    | < > ~ $ : = ^ & @``), turns line breaks and tabs into spaces, drops surrounding whitespace, and
    puts an invisible U+2060 WORD JOINER on both sides of every ``:``, after every ``@``, between ``www``
    and ``.``, and inside ``->``-style arrows standing between spaces: those patterns are rewritten
    after parsing, where a backslash escape no longer shows (emoji and icon shortcodes, the
    ``:streamlit:`` logo, literal autolinks, typographic arrows).

    Parameters
    ----------
    text:
        Anything; ``str(text)`` is escaped.

    Returns
    -------
    str
        Markdown whose rendering is the text, without links, images, emphasis, HTML, maths, colours,
        icons, emoji or line breaks; safe inside a table cell too.

    Examples
    --------
    >>> escape_markdown("**v2** [docs](x)")
    '\\\\*\\\\*v2\\\\*\\\\* \\\\[docs\\\\]\\\\(x\\\\)'
    >>> escape_markdown("a:b") == "a\\u2060\\\\:\\u2060b"
    True
    """
    raw = _one_line(text).strip()
    joiners = _joiner_positions(raw)
    parts: list[str] = []
    for i, char in enumerate(raw):
        if i in joiners:
            parts.append(WORD_JOINER)
        parts.append("\\" + char if char in _MARKDOWN_SPECIAL else char)
    if len(raw) in joiners:
        parts.append(WORD_JOINER)
    return "".join(parts)


def markdown_cell(text: object) -> str:
    """Text for a cell of a Markdown (GFM) table: :func:`escape_markdown`, so no ``|`` and no line break.

    Every ``|`` is escaped (GFM splits cells on unescaped pipes only, even inside code spans) and
    every line break is a space, so a row keeps its number of cells.

    Examples
    --------
    >>> markdown_cell("a|b\\nc")
    'a\\\\|b c'
    """
    return escape_markdown(text)


def shorten(text: object, limit: int = 40) -> str:
    """``str(text)`` on one line and at most ``limit`` characters, ending in "…" when cut.

    Line breaks and tabs become spaces; text within the limit is otherwise unchanged.

    Raises
    ------
    ValueError
        When ``limit`` is below 1.

    Examples
    --------
    >>> shorten("a fairly long model name", 10)
    'a fairly…'
    >>> shorten("short", 10)
    'short'
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    line = _one_line(text)
    if len(line) <= limit:
        return line
    return line[: limit - 1].rstrip() + "…"


def csv_safe(value: object) -> object:
    """A CSV cell that a spreadsheet does not run as a formula (OWASP's CSV-injection advice).

    A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed (or
    their full-width forms ``＝ ＋ － ＠``), also after leading spaces, gets a leading ``'``. Only text
    changes: numbers, booleans, ``None`` and other non-``str`` values pass unchanged; a text cell that
    looks like a number (``"-0.5"``) is still text and still gets the quote. Quoting of ``"`` and
    separators is the CSV writer's job.

    Examples
    --------
    >>> csv_safe('=HYPERLINK("http://x")'), csv_safe("-0.5"), csv_safe(-0.5), csv_safe("cat")
    ('\\'=HYPERLINK("http://x")', "'-0.5", -0.5, 'cat')
    """
    if not isinstance(value, str):
        return value
    if value.startswith(_CSV_TRIGGERS) or value.lstrip(" ").startswith(_CSV_TRIGGERS):
        return "'" + value
    return value


def csv_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with :func:`csv_safe` applied to its column names and every text cell.

    Object, string and categorical columns are neutralised cell by cell (their other values, numbers
    or missing ones, pass unchanged); numeric, boolean and date columns are left as they are. A flat
    index of text is neutralised too, for writers that keep the index.

    Examples
    --------
    >>> import pandas as pd
    >>> csv_safe_frame(pd.DataFrame({"=a": ["+1", "x"], "n": [-1, 2]})).to_csv(index=False)
    "'=a,n\\n'+1,-1\\nx,2\\n"
    """
    import pandas as pd  # the engine's frames already need it; imported here to keep import time low

    out = frame.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if isinstance(column.dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(column.dtype) or (
                pd.api.types.is_string_dtype(column.dtype)):
            out.isetitem(position, column.astype(object).map(csv_safe).to_numpy(dtype=object))
    out.columns = _safe_index(out.columns)
    out.index = _safe_index(out.index)
    return out


def _safe_index(index: pd.Index) -> pd.Index:
    """An index with :func:`csv_safe` applied to its text labels (a MultiIndex label by label)."""
    import pandas as pd

    if isinstance(index, pd.MultiIndex):
        return pd.MultiIndex.from_tuples([tuple(csv_safe(label) for label in labels) for labels in index],
                                         names=index.names)
    if pd.api.types.is_object_dtype(index.dtype) or pd.api.types.is_string_dtype(index.dtype):
        return pd.Index([csv_safe(label) for label in index], dtype=object, name=index.name)
    return index

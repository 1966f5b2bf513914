"""The one user-facing error type.

Exception hierarchy::

    ValueError
     └── EvaluationError   bad input: names the file, the column, the rows and what was expected

Pages show an :class:`EvaluationError` with ``st.error``; the CLI prints it and exits with status 2.
Anything else escaping the engine is a bug.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["EvaluationError", "format_examples"]


class EvaluationError(ValueError):
    """Input the engine cannot evaluate, with a message meant for the user.

    Parameters
    ----------
    message:
        The whole explanation: which file, which column, which rows, and what was expected.
    file:
        The file (or model name) the problem is in, when there is one; the dashboard shows the
        message beside that file.
    column:
        The column concerned, when there is one.
    """

    def __init__(self, message: str, *, file: str | None = None, column: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.column = column


def format_examples(values: Sequence[object], *, limit: int = 5) -> str:
    """Return a short, readable list of the first few offending values (``'a', 'b', ... (12 in all)``)."""
    shown = ", ".join(repr(v) for v in list(values)[:limit])
    if len(values) > limit:
        shown += f", ... ({len(values)} in all)"
    return shown

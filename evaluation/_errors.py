"""The one user-facing error type.

Exception hierarchy::

    ValueError
     └── EvaluationError   bad input: names the file, the column, the rows and what was expected

Pages show an :class:`EvaluationError` with ``st.error``; the CLI prints it and exits with status 2.
Anything else escaping the engine is a bug.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Sequence

__all__ = ["EXIT_BAD_INPUT", "EXIT_BUG", "EXIT_OK", "EXIT_REGRESSION", "EvaluationError", "clip", "exit_status",
           "format_examples", "format_names", "quote"]

EXIT_OK, EXIT_REGRESSION, EXIT_BAD_INPUT, EXIT_BUG = 0, 1, 2, 3
"""The command line's exit statuses: done, a gated regression, bad input, a bug."""

_WIDTH = 50  # characters of a value quoted in a message; the rest is elided


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


def quote(value: object, *, width: int = _WIDTH) -> str:
    """``repr`` of a value for a message, elided past ``width`` characters so a message stays short.

    Examples
    --------
    >>> quote("cat"), quote("x" * 1000, width=4)
    ("'cat'", "'xxxx'... (1,000 characters)")
    """
    if isinstance(value, str):
        shown = repr(value[: width + 1])  # a prefix only: never the repr of a huge value
        if len(value) <= width and len(shown) <= 2 * width + 2:
            return shown
        return repr(value[:width])[: 2 * width + 1] + f"... ({len(value):,} characters)"
    shown = repr(value)
    return shown if len(shown) <= 2 * width else shown[:width] + "..."


def clip(text: str, *, width: int = 200) -> str:
    """Text shown as is (a library's error detail, a name in a list), cut past ``width`` characters."""
    return text if len(text) <= width else text[:width] + f"... ({len(text):,} characters)"


def format_examples(values: Sequence[object], *, limit: int = 5) -> str:
    """Return a short, readable list of the first few offending values (``'a', 'b', ... (12 in all)``).

    Each value is quoted with :func:`quote`, so a long value cannot make the message long.
    """
    shown = ", ".join(quote(v) for v in list(values[:limit]))
    if len(values) > limit:
        shown += f", ... ({len(values):,} in all)"
    return shown


def format_names(names: Sequence[str], *, limit: int = 10) -> str:
    """Names listed without quotes (``prob_a, prob_b, ... (40 in all)``), each cut to a readable length."""
    shown = ", ".join(clip(str(name), width=_WIDTH) for name in list(names[:limit]))
    if len(names) > limit:
        shown += f", ... ({len(names):,} in all)"
    return shown


def exit_status(call: Callable[[], int]) -> int:
    """``call()``'s exit status, every command's way with errors: bad input (an :class:`EvaluationError`, or a file
    the system cannot read) prints one line, ``error: ...``, on standard error and gives :data:`EXIT_BAD_INPUT`;
    anything else is a bug: one line asking for a report (``EVALUATION_DEBUG=1`` prints the traceback), and
    :data:`EXIT_BUG`."""
    try:
        return call()
    except EvaluationError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as error:
        print(f"error: {error.filename or ''}: {error.strerror or error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as error:
        if os.environ.get("EVALUATION_DEBUG"):
            traceback.print_exc()
        print(f"internal error (please report it, with EVALUATION_DEBUG=1 for details): {type(error).__name__}: {error}",
              file=sys.stderr)
        return EXIT_BUG

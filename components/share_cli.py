"""Delete a shared link, or say where it stands, from the command line (no streamlit).

Run it on the machine that serves the dashboard, as the user that owns the share store::

    python -m components.share_cli delete 'https://models.example/?c=TOKEN' --key DELETE_KEY
    python -m components.share_cli status 'https://models.example/?c=TOKEN'

The store is ``--store PATH``, else ``$MODEL_COMPARE_SHARE_DB``, else ``.shares/shares.sqlite3`` beside the app.

Exit status: 0 when the link no longer opens (deleted now, already deleted, or expired) or, for ``status``,
when it was found; 2 for anything to fix (a malformed link or key, a wrong key, an unknown link, a store that
is missing or unavailable). Each outcome is one line: on standard output for 0, on standard error for 2.

Examples
--------
>>> main(["delete", "https://models.example/?c=nope", "--key", "K" * 32])
2
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from . import share_store
from .share_store import DeleteOutcome, ShareState, ShareStore, ShareUnavailable, default_path, is_valid_token, token_from_link

__all__ = ["main"]

OK, USAGE = 0, 2
_EPILOG = """examples:
  python -m components.share_cli delete 'https://models.example/?c=TOKEN' --key DELETE_KEY
  python -m components.share_cli delete TOKEN --key - < key.txt      (the key from standard input)
  python -m components.share_cli status 'https://models.example/?c=TOKEN'

exit status: 0 the link no longer opens (or, for status, it was found); 2 a malformed link or key,
a wrong key, an unknown link, or a share store that is missing or unavailable."""
_DELETE_MESSAGES = {
    DeleteOutcome.DELETED: (OK, "deleted: the link {link} no longer opens"),
    DeleteOutcome.ALREADY_DELETED: (OK, "nothing to delete: the link {link} was already deleted"),
    DeleteOutcome.EXPIRED: (OK, "nothing to delete: the link {link} has expired"),
    DeleteOutcome.WRONG_KEY: (USAGE, "error: that delete key does not belong to the link {link}; nothing was deleted"),
    DeleteOutcome.UNKNOWN: (USAGE, "error: the share store {store} has no link {link} (check the link and --store); "
                                   "nothing was deleted"),
}


def _parser() -> argparse.ArgumentParser:
    """The command line: ``delete LINK --key KEY`` and ``status LINK``, each with ``--store``."""
    parser = argparse.ArgumentParser(
        prog="python -m components.share_cli", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_EPILOG,
        description="Delete a comparison shared from the dashboard with the delete key shown when it was shared, "
                    "or say whether its link still opens.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{delete,status}")
    for name, summary in (("delete", "delete a shared link with its delete key"),
                          ("status", "say whether a shared link opens, expired, or was deleted")):
        command = commands.add_parser(name, help=summary, description=summary, epilog=_EPILOG,
                                      formatter_class=argparse.RawDescriptionHelpFormatter)
        command.add_argument("link", metavar="LINK_OR_TOKEN", help="the shared link (…/?c=TOKEN) or its token")
        if name == "delete":
            command.add_argument("--key", required=True, metavar="KEY",
                                 help="the delete key shown when the link was made ('-' reads it from standard input)")
        command.add_argument("--store", type=Path, default=None, metavar="PATH",
                             help="the share database (default: $MODEL_COMPARE_SHARE_DB, else .shares/shares.sqlite3)")
    return parser


def _status_line(store: ShareStore, token: str) -> tuple[int, str]:
    """The exit status and line for ``status``."""
    status = store.status(token)
    if status.state is ShareState.ACTIVE:
        return OK, f"active: the link {token} opens" + (f" until {status.expires_at}" if status.expires_at else "")
    if status.state is ShareState.EXPIRED:
        return OK, f"expired: the link {token} stopped working at {status.expires_at}"
    if status.state is ShareState.DELETED:
        return OK, f"deleted: the link {token} was deleted"
    return USAGE, f"error: the share store {store.path} has no link {token} (check the link and --store)"


def _run(arguments: argparse.Namespace, stdin: TextIO) -> tuple[int, str]:
    """Validate the arguments, then act; the exit status and the one line to print."""
    token = token_from_link(arguments.link)
    if token is None:
        return USAGE, ("error: LINK_OR_TOKEN must be a share link (…/?c=TOKEN) or its 32-character token, "
                       f"not {arguments.link!r}")
    key = None
    if arguments.command == "delete":
        key = (stdin.readline() if arguments.key == "-" else arguments.key).strip()
        if not is_valid_token(key):
            return USAGE, "error: a delete key has 32 characters (letters, digits, '-' and '_'); check --key"
    path = arguments.store or default_path()
    if not path.is_file():  # opening would create an empty store: a mistyped path must not pass for "unknown"
        return USAGE, f"error: there is no share store at {path} (--store or MODEL_COMPARE_SHARE_DB names it)"
    store = ShareStore(path, read_only=key is None)
    try:
        if key is None:
            return _status_line(store, token)
        status, template = _DELETE_MESSAGES[store.delete_share(token, key)]
    except ShareUnavailable as error:
        return USAGE, f"error: {error} ({error.detail})"
    return status, template.format(link=token, store=path)


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status.

    Parameters
    ----------
    argv:
        The arguments after the program name.
    stdin:
        Where ``--key -`` reads the key (default: standard input).

    Returns
    -------
    int
        0 when the link no longer opens (or, for ``status``, was found); 2 otherwise. A usage error exits 2
        through ``SystemExit``, as argparse does.
    """
    arguments = _parser().parse_args(argv)
    store_log = logging.getLogger(share_store.__name__)
    if not store_log.handlers:  # the store's warnings are for a server's log; this command says it all in one line
        store_log.addHandler(logging.NullHandler())
    status, line = _run(arguments, stdin or sys.stdin)
    print(line, file=sys.stdout if status == OK else sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())

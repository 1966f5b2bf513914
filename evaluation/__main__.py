"""``python -m evaluation``: see :mod:`evaluation._cli`."""

import os
import sys

from ._cli import main

if __name__ == "__main__":
    status = main()
    # Everything is written and closed; skip tearing down a heap of large arrays (a third of a
    # second at a million rows), which a command run from a CI job or a shell only waits for.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)

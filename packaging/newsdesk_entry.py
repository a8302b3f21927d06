"""Entry script of the frozen app (PyInstaller has no ``python -m``): runs ``desktop.cli:main``.

``freeze_support`` first: the CPU pool starts worker processes (forkserver on
POSIX, spawn on Windows), which re-run this executable with multiprocessing's
own arguments; freeze_support turns those runs into workers.
"""

from __future__ import annotations

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from desktop.cli import main

    sys.exit(main())

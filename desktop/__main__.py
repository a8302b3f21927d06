"""``python -m desktop`` runs the command line (no command opens the window).

The window's path skips the command line's parser and its imports (argparse,
asyncio, …): they would only delay the first paint.
"""

import sys

from desktop.app import open_window, window_data_dir

window, data_dir = window_data_dir(sys.argv[1:])
if window:
    raise SystemExit(open_window(data_dir))

from desktop.cli import main  # noqa: E402

raise SystemExit(main())

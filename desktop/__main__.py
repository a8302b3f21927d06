"""``python -m desktop`` runs the command line (no command opens the window)."""

from desktop.cli import main

raise SystemExit(main())

"""Dialogs of the window: sources, OPML, settings, key map (each takes plain data)."""

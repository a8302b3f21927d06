"""File, source management and settings commands (issue 5: living with the app)."""

from __future__ import annotations

from desktop.commands.registry import Command

FILE = "File"
SOURCES = "Sources"
ARTICLE = "Navigate"

FILE_COMMANDS: tuple[Command, ...] = (
    Command(
        "file.add_source",
        "Add source…",
        FILE,
        ("Ctrl+N",),
        "Subscribe to a feed by its URL, or pick one of the feeds a web page offers.",
        when="global",
    ),
    Command(
        "file.import_opml", "Import OPML…", FILE, (), "Subscribe to the feeds of an OPML file."
    ),
    Command("file.export_opml", "Export OPML…", FILE, (), "Save every source, with folders."),
    Command(
        "file.starter_feeds",
        "Choose from starter feeds…",
        FILE,
        (),
        "Well-known public news feeds in several languages; pick the ones to subscribe to.",
    ),
    Command(
        "file.load_samples",
        "Load the sample feeds",
        FILE,
        (),
        "Offline sample feeds in several languages, to try triage at once.",
    ),
    Command(
        "file.accounts",
        "Feed server accounts…",
        FILE,
        (),
        "Sync with Miniflux, FreshRSS, a Fever server or Tiny Tiny RSS: add, remove, sync now.",
    ),
    Command(
        "file.purge",
        "Purge old articles now",
        FILE,
        (),
        "Apply the retention setting now (flagged articles are never purged).",
    ),
    Command(
        "app.settings",
        "Settings…",
        FILE,
        ("Ctrl+P",),
        "Theme, font size, reading, retention, refresh, notifications and the shared store.",
        when="global",
    ),
    Command(
        "app.keymap",
        "Key map…",
        FILE,
        (),
        "Rebind the keys of every command; conflicts are shown.",
    ),
)

SOURCE_COMMANDS: tuple[Command, ...] = (
    Command(
        "source.properties",
        "Source properties…",
        SOURCES,
        ("p",),
        "Title, folder, refresh interval, images, full article, language, credentials.",
    ),
    Command(
        "source.sync_accounts",
        "Sync accounts now",
        SOURCES,
        ("Shift+Y",),
        "Bring in new items from feed-server accounts and send read/flagged changes.",
    ),
    Command("source.rename", "Rename source…", SOURCES, ()),
    Command("source.move", "Move source to folder…", SOURCES, ()),
    Command("source.toggle_enabled", "Disable / enable source", SOURCES, ()),
    Command(
        "source.delete",
        "Delete source…",
        SOURCES,
        (),
        "Unsubscribe (asks first; its flagged articles can be kept).",
    ),
    Command(
        "source.retry",
        "Retry source now",
        SOURCES,
        (),
        "Fetch a failing source again without waiting for its back-off.",
    ),
    Command(
        "article.full_text",
        "Fetch the full article",
        SOURCES,
        ("f",),
        "Replace a summary with the main text of the original page (fetched once).",
    ),
)

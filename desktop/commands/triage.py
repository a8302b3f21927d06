"""Triage commands: read, flag, archive, select, undo, topics, refresh."""

from __future__ import annotations

from desktop.commands.registry import Command

TRIAGE = "Triage"
SOURCES = "Sources"

COMMANDS: tuple[Command, ...] = (
    Command(
        "triage.toggle_read",
        "Toggle read",
        TRIAGE,
        ("m",),
        "Mark the article (or the selection) read, or unread when it is read.",
    ),
    Command(
        "triage.toggle_flag",
        "Toggle flag",
        TRIAGE,
        ("s",),
        "Flag the article (or the selection), or remove the flag.",
    ),
    Command(
        "triage.archive",
        "Archive and move on",
        TRIAGE,
        ("e",),
        "Archive the article (or the selection) and select the next one.",
    ),
    Command(
        "triage.unarchive",
        "Unarchive",
        TRIAGE,
        ("Shift+E",),
        "Move the article (or the selection) back to the Inbox.",
    ),
    Command(
        "triage.mark_view_read",
        "Mark everything in this view read",
        TRIAGE,
        ("Shift+A",),
        "Every article matching the current view and filters, loaded or not.",
    ),
    Command(
        "triage.select",
        "Select / deselect",
        TRIAGE,
        ("x",),
        "Add the article to the selection; triage keys then act on the whole selection.",
    ),
    Command("triage.clear_selection", "Clear the selection", TRIAGE, (), "Deselect every article."),
    Command(
        "triage.undo",
        "Undo",
        TRIAGE,
        ("u", "Ctrl+Z"),
        "Undo the last triage action (bulk actions whole); survives a restart.",
    ),
    Command("triage.redo", "Redo", TRIAGE, ("Ctrl+Shift+Z",), "Redo the last undone action."),
    Command(
        "triage.edit_topics",
        "Edit topics…",
        TRIAGE,
        ("t",),
        "Add or remove topics of the article; the tagger learns from your changes.",
    ),
    Command(
        "source.refresh",
        "Refresh this source",
        SOURCES,
        ("r",),
        "Fetch the source of the current article (or the source in the sidebar).",
    ),
    Command(
        "source.refresh_all",
        "Refresh all sources",
        SOURCES,
        ("Shift+R",),
        "Fetch every enabled source.",
    ),
)

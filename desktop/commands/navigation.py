"""Navigation, view, filter and application commands."""

from __future__ import annotations

from desktop.commands.registry import Command

NAVIGATE = "Navigate"
VIEWS = "Views"
FILTER = "Filter"
APP = "Application"

VIEW_COMMANDS = {
    "view.inbox": "inbox",
    "view.unread": "unread",
    "view.flagged": "flagged",
    "view.archived": "archived",
    "view.all": "all",
}
"""Command id → the view it shows."""

COMMANDS: tuple[Command, ...] = (
    Command("nav.next", "Next article", NAVIGATE, ("j", "Down")),
    Command("nav.previous", "Previous article", NAVIGATE, ("k", "Up")),
    Command(
        "nav.space",
        "Scroll, then next unread",
        NAVIGATE,
        ("Space",),
        "Scroll the reading pane a page; at its end, go to the next unread article.",
    ),
    Command("nav.next_unread", "Next unread article", NAVIGATE, ("n",)),
    Command("nav.first", "First article", NAVIGATE, ("Home",)),
    Command("nav.last", "Last loaded article", NAVIGATE, ("End",)),
    Command(
        "article.open",
        "Open in the reading pane",
        NAVIGATE,
        ("o", "Return", "Enter"),
        "Show the article in the reading pane (and mark it read per the setting).",
    ),
    Command("article.open_original", "Open the original in the browser", NAVIGATE, ("v",)),
    Command(
        "story.expand",
        "Expand the story",
        NAVIGATE,
        ("Right",),
        "Show every copy of a story reached from several sources.",
    ),
    Command("story.collapse", "Collapse the story", NAVIGATE, ("Left",)),
    Command("view.inbox", "Go to Inbox", VIEWS, ("g i",), "Everything not archived."),
    Command("view.unread", "Go to Unread", VIEWS, ("g u",)),
    Command("view.flagged", "Go to Flagged", VIEWS, ("g s",)),
    Command("view.archived", "Go to Archive", VIEWS, ("g e",)),
    Command("view.all", "Go to All", VIEWS, ("g a",)),
    Command("filter.search", "Search", FILTER, ("/",), "Full-text search in the current view."),
    Command("filter.language", "Filter by language…", FILTER, ("l",)),
    Command("filter.topic", "Filter by topic…", FILTER, ("Shift+T",)),
    Command(
        "filter.save_search",
        "Save search…",
        FILTER,
        ("Ctrl+S",),
        "Keep the current search text and filters under a name, listed in the sidebar "
        "(right-click there to rename or delete; u undoes).",
        when="global",
    ),
    Command(
        "filter.clear",
        "Clear filters",
        FILTER,
        ("Esc",),
        "Drop the source, folder, language, topic and search filters.",
    ),
    Command(
        "app.palette",
        "Command palette…",
        APP,
        ("Ctrl+K",),
        "Run any command by name.",
        when="global",
    ),
    Command("app.help", "Keyboard help", APP, ("?",), "Every command and its keys."),
    Command("app.focus_sidebar", "Focus the sidebar", APP, ("Ctrl+1",), when="global"),
    Command("app.focus_list", "Focus the article list", APP, ("Ctrl+2",), when="global"),
    Command("app.quit", "Quit", APP, ("Ctrl+Q",), when="global"),
)

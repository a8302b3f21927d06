"""The sidebar: views, folders and sources, languages, topics, saved searches, with counts.

Items carry what they select as data (``(kind, value)``); the window turns a
click into a filter. Counts update in place: items are reused by key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from desktop.ui.qt import (
    ALIGN_RIGHT_VCENTER,
    ALIGNMENT_ROLE,
    CLICK_FOCUS,
    CUSTOM_CONTEXT_MENU,
    FOREGROUND_ROLE,
    USER_ROLE,
    QAbstractItemView,
    QColor,
    QFont,
    Qt,
    QTreeWidget,
    Signal,
)

if TYPE_CHECKING:  # the counts module loads after the first paint
    from desktop.store.counts import SidebarCounts
    from desktop.ui.qt import QTreeWidgetItem  # its enum classes: after the first paint

VIEW_TITLES = {
    "inbox": "Inbox",
    "unread": "Unread",
    "flagged": "Flagged",
    "archived": "Archive",
    "all": "All",
}
KEY_ROLE = USER_ROLE + 1


@cache
def _folder_flags() -> Qt.ItemFlag:
    """(Built at first use: the ``Qt`` enums are not needed before the first paint.)"""
    return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDropEnabled


@cache
def _source_flags() -> Qt.ItemFlag:
    return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled


LANGUAGE_NAMES = {
    "en": "English",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "ru": "Russian",
    "uk": "Ukrainian",
    "pl": "Polish",
    "ar": "Arabic",
    "zh": "Chinese",
    "ja": "Japanese",
    "ko": "Korean",
    "tr": "Turkish",
    "fa": "Persian",
    "hi": "Hindi",
    "sv": "Swedish",
    "el": "Greek",
    "he": "Hebrew",
    "und": "Unknown",
}


def language_name(code: str) -> str:
    """A readable name for a language code (the code itself when unknown)."""
    return LANGUAGE_NAMES.get(code, code)


@dataclass(frozen=True, slots=True)
class SidebarEntries:
    """What the sidebar will show for one ``SidebarCounts``, formatted off the UI thread."""

    counts: SidebarCounts
    languages_shown: frozenset[str]
    sources: list[tuple[tuple[str, Any], tuple[str, int, str, str, str | None]]]
    """(key, (title, unread, tooltip, colour, folder)) per source, in order."""
    languages: list[tuple[str, int]]
    keys: frozenset[tuple[str, Any]]
    """Every entry's key (views, folders, sources, languages, topics, searches)."""
    max_count: int


def sidebar_entries(counts: SidebarCounts, languages_shown: Iterable[str] = ()) -> SidebarEntries:
    """Format ``counts`` for the sidebar (pure Python: run it on a worker thread)."""
    shown = frozenset(languages_shown)
    sources = []
    for s in counts.sources:
        title = s["title"] or s["url"]
        tip = s["url"]
        if s["last_error"]:
            title = f"⚠ {title}"
            when = (s.get("last_error_at") or "").replace("T", " ").replace("Z", " UTC")
            tip = f"{s['url']}\nLast error ({when}): {s['last_error']}\nRight-click → Retry now"
        if not s["enabled"]:
            title = f"{title} (disabled)"
            tip += "\n(disabled)"
        colour = "#dc2626" if s["last_error"] else "" if s["enabled"] else "#9ca3af"  # "": theme's
        sources.append((("source", s["id"]), (title, s["unread_count"], tip, colour, s["folder"])))
    languages = [(c, n) for c, n in counts.languages if not shown or c in shown]
    keys = {("view", v) for v in VIEW_TITLES}
    keys.update(("folder", f) for f, _n in counts.folders())
    keys.update(k for k, _s in sources)
    keys.update(("language", c) for c, _n in languages)
    keys.update(("topic", t) for t, _n in counts.topics)
    keys.update(("search", n) for n, _q in counts.saved_searches)
    numbers = [*counts.views.values(), *(s["unread_count"] for s in counts.sources)]
    numbers += [n for _c, n in languages] + [n for _t, n in counts.topics]
    return SidebarEntries(
        counts, shown, sources, languages, frozenset(keys), max(numbers, default=0)
    )


class Sidebar(QTreeWidget):
    """Navigation tree; emits ``picked(kind, value)``."""

    picked = Signal(str, object)
    """(kind, value); a saved search's value is its name."""
    menu_requested = Signal(str, object, object)
    """(kind, value, global position): right-click on a source, folder or saved search
    (its value is the search's name)."""
    source_dropped = Signal(int, object)
    """(source id, folder or None): a source was dragged onto a folder (or out of one)."""

    def __init__(self, parent: Any = None, *, defer: bool = False) -> None:
        """With ``defer``, the headings and views come with :meth:`finish_setup` (after
        the window's first paint: the list is painted first)."""
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.setHeaderHidden(True)
        self.setColumnCount(2)
        self.setRootIsDecorated(False)
        self.setIndentation(12)
        self.setProperty("focusPolicy", CLICK_FOCUS)  # an int: see desktop.ui.qt
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self._items: dict[tuple[str, Any], QTreeWidgetItem] = {}
        self._item_section: dict[tuple[str, Any], str] = {}
        self._shown: dict[tuple[str, Any], tuple[Any, ...]] = {}
        """What each source entry shows now (skip unchanged ones without touching Qt)."""
        self.languages_shown: set[str] = set()
        """Language codes to list (empty: all), from the settings."""
        self.setProperty("contextMenuPolicy", CUSTOM_CONTEXT_MENU)
        self.customContextMenuRequested.connect(self._context_menu)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self._sections: dict[str, QTreeWidgetItem] = {}
        self.header().setStretchLastSection(False)
        self.header().setSectionResizeMode(0, self.header().ResizeMode.Stretch)
        self.header().setSectionResizeMode(1, self.header().ResizeMode.Fixed)
        self.header().resizeSection(1, 40)
        if not defer:
            self.finish_setup()

    def finish_setup(self) -> None:
        """The section headings (not selectable; the Sources heading takes drops: a
        source dropped there leaves its folder) and the views; once only."""
        if self._sections:
            return
        from desktop.ui.qt import QTreeWidgetItem

        # connected with the first items (their signals build ``QTreeWidgetItem``'s
        # enum classes): nothing can be clicked before
        self.itemClicked.connect(self._clicked)
        self.itemActivated.connect(self._clicked)
        for key, title in (
            ("views", ""),
            ("sources", "Sources"),
            ("languages", "Languages"),
            ("topics", "Topics"),
            ("searches", "Saved searches"),
        ):
            section = QTreeWidgetItem(self, [title.upper(), ""])
            flags = Qt.ItemFlag.ItemIsEnabled
            if key == "sources":
                flags |= Qt.ItemFlag.ItemIsDropEnabled
            section.setFlags(flags)
            font = QFont(section.font(0))
            font.setPointSizeF(font.pointSizeF() * 0.8)
            font.setBold(True)
            section.setFont(0, font)
            section.setData(0, FOREGROUND_ROLE, QColor("#6b7280"))
            section.setExpanded(True)
            self._sections[key] = section
        for view, title in VIEW_TITLES.items():
            self._item("views", ("view", view), title, 0, self._sections["views"])

    def _item(
        self,
        section: str,
        key: tuple[str, Any],
        title: str,
        count: int,
        parent: QTreeWidgetItem,
        tooltip: str = "",
    ) -> QTreeWidgetItem:
        item = self._items.get(key)
        if item is None:
            from desktop.ui.qt import QTreeWidgetItem

            item = QTreeWidgetItem(parent, [title, ""])
            item.setData(0, KEY_ROLE, key)
            item.setData(1, ALIGNMENT_ROLE, ALIGN_RIGHT_VCENTER)
            self._items[key] = item
            self._item_section[key] = section
        # Setters only on change: each one re-lays out the tree (2,000 sources).
        if item.text(0) != title:
            item.setText(0, title)
        text = str(count) if count else ""
        if item.text(1) != text:
            item.setText(1, text)
        if item.toolTip(0) != tooltip:
            item.setToolTip(0, tooltip)
        return item

    def item_for(self, kind: str, value: Any) -> QTreeWidgetItem | None:
        """The item that selects ``(kind, value)``, if shown."""
        return self._items.get((kind, value))

    def _drop_missing(self, section: str, keep: set[tuple[str, Any]]) -> None:
        for key in [k for k, name in self._item_section.items() if name == section]:
            if key not in keep:
                item = self._items.pop(key)
                del self._item_section[key]
                self._shown.pop(key, None)
                (item.parent() or self.invisibleRootItem()).removeChild(item)

    def _same_shape(self, entries: SidebarEntries) -> bool:
        """Whether ``entries`` only change texts of existing entries (no entry added,
        removed or moved to another folder)."""
        if entries.keys != self._items.keys():
            return False
        shown = self._shown
        return all(
            (before := shown.get(key)) is not None and before[4] == new[4]
            for key, new in entries.sources
        )

    def update_counts(self, counts: SidebarCounts | SidebarEntries) -> None:
        """Show new counts, adding and removing entries as needed (no reset).

        Pass :func:`sidebar_entries` made on a worker thread to keep the
        formatting of thousands of sources off the UI thread.
        """
        self.finish_setup()
        entries = (
            counts
            if isinstance(counts, SidebarEntries)
            else sidebar_entries(counts, self.languages_shown)
        )
        if entries.languages_shown != frozenset(self.languages_shown):
            entries = sidebar_entries(entries.counts, self.languages_shown)
        # Only texts change (the usual case: counts moved): the tree's model stays
        # quiet and the view repaints once; thousands of per-item signals took
        # hundreds of ms on the UI thread after a bulk action.
        quiet = self._same_shape(entries)
        model = self.model()
        if quiet:
            model.blockSignals(True)
        try:
            self._update_counts(entries)
        finally:
            if quiet:
                model.blockSignals(False)
                self.viewport().update()
        # The count column fits the largest count: one string measured, instead of
        # Qt sizing the column to its contents (which measures every entry).
        header = self.header()
        width = self.fontMetrics().horizontalAdvance(str(entries.max_count)) + 18
        if header.sectionSize(1) != width:
            header.resizeSection(1, width)

    def _update_counts(self, entries: SidebarEntries) -> None:
        counts = entries.counts
        for view, title in VIEW_TITLES.items():
            self._item(
                "views", ("view", view), title, counts.views.get(view, 0), self._sections["views"]
            )
        keep: set[tuple[str, Any]] = set()
        sources_section = self._sections["sources"]
        folders = dict(counts.folders())
        for folder, unread in folders.items():
            keep.add(("folder", folder))
            item = self._item("sources", ("folder", folder), folder, unread, sources_section)
            if item.flags() != _folder_flags():
                item.setFlags(_folder_flags())
        shown_before = self._shown
        for key, shown in entries.sources:
            keep.add(key)
            before = shown_before.get(key)
            if before is not None:
                if before == shown:
                    continue
                if before[0] == shown[0] and before[2:] == shown[2:]:  # only the count moved
                    self._items[key].setText(1, str(shown[1]) if shown[1] else "")
                    shown_before[key] = shown
                    continue
            title, count, tip, colour, folder = shown
            parent = self._items[("folder", folder)] if folder else sources_section
            item = self._items.get(key)
            if item is not None and item.parent() is not parent:
                (item.parent() or self.invisibleRootItem()).removeChild(item)
                del self._items[key]
                del self._item_section[key]
            item = self._item("sources", key, title, count, parent, tip)
            if not colour:
                if item.data(0, FOREGROUND_ROLE) is not None:
                    item.setData(0, FOREGROUND_ROLE, None)  # the palette's text colour
            elif item.foreground(0).color().name() != colour:
                item.setForeground(0, QColor(colour))
            if item.flags() != _source_flags():
                item.setFlags(_source_flags())
            shown_before[key] = shown
        self._drop_missing("sources", keep)
        for folder in folders:
            item = self._items[("folder", folder)]
            if not item.isExpanded():
                item.setExpanded(True)
        keep = set()
        for code, count in entries.languages:
            keep.add(("language", code))
            self._item(
                "languages",
                ("language", code),
                language_name(code),
                count,
                self._sections["languages"],
                code,
            )
        self._drop_missing("languages", keep)
        keep = set()
        for tag, count in counts.topics:
            keep.add(("topic", tag))
            self._item("topics", ("topic", tag), tag, count, self._sections["topics"])
        self._drop_missing("topics", keep)
        keep = set()
        for name, query in counts.saved_searches:
            from desktop.triage.searches import describe_saved  # not before the first paint

            keep.add(("search", name))
            self._item(
                "searches",
                ("search", name),
                name,
                0,
                self._sections["searches"],
                describe_saved(query),
            )
        self._drop_missing("searches", keep)
        self._sections["searches"].setHidden(not counts.saved_searches)
        self._sections["topics"].setHidden(not counts.topics)

    def show_current(self, kind: str, value: Any) -> None:
        """Highlight the entry of the current view or filter without emitting."""
        item = self._items.get((kind, value))
        self.blockSignals(True)
        if item is not None:
            self.setCurrentItem(item)
        else:
            self.clearSelection()
        self.blockSignals(False)

    def _context_menu(self, pos: Any) -> None:
        item = self.itemAt(pos)
        key = item.data(0, KEY_ROLE) if item is not None else None
        if key and key[0] in ("source", "folder", "search"):
            self.menu_requested.emit(key[0], key[1], self.viewport().mapToGlobal(pos))

    def drop_target_folder(self, item: QTreeWidgetItem | None) -> tuple[bool, str | None]:
        """Where a source dropped on ``item`` goes: (valid, folder or None)."""
        if item is None:
            return False, None
        key = item.data(0, KEY_ROLE)
        if key and key[0] == "folder":
            return True, key[1]
        if key and key[0] == "source":
            parent = item.parent()
            pkey = parent.data(0, KEY_ROLE) if parent is not None else None
            return True, pkey[1] if pkey and pkey[0] == "folder" else None
        if item is self._sections["sources"]:
            return True, None
        return False, None

    def dropEvent(self, event: Any) -> None:
        """A source dropped on a folder (or the Sources heading): ask for the move; the
        tree itself is rebuilt from the new counts, never moved by Qt."""
        dragged = self.currentItem()
        key = dragged.data(0, KEY_ROLE) if dragged is not None else None
        target = self.itemAt(event.position().toPoint())
        ok, folder = self.drop_target_folder(target)
        event.setDropAction(Qt.DropAction.IgnoreAction)
        event.accept()
        if key and key[0] == "source" and ok:
            self.source_dropped.emit(int(key[1]), folder)

    def _clicked(self, item: QTreeWidgetItem, column: int = 0) -> None:
        key = item.data(0, KEY_ROLE)
        if key:
            self.picked.emit(key[0], key[1])

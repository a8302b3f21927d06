"""The sidebar: views, folders and sources, languages, topics, saved searches, with counts.

Items carry what they select as data (``(kind, value)``); the window turns a
click into a filter. Counts update in place: items are reused by key.
"""

from __future__ import annotations

from typing import Any

from desktop.store.counts import SidebarCounts
from desktop.ui.qt import QAbstractItemView, QColor, QFont, Qt, QTreeWidget, QTreeWidgetItem, Signal

VIEW_TITLES = {
    "inbox": "Inbox",
    "unread": "Unread",
    "flagged": "Flagged",
    "archived": "Archive",
    "all": "All",
}
KEY_ROLE = Qt.ItemDataRole.UserRole + 1

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


class Sidebar(QTreeWidget):
    """Navigation tree; emits ``picked(kind, value)``."""

    picked = Signal(str, object)
    menu_requested = Signal(str, object, object)
    """(kind, value, global position): right-click on a source or folder."""
    source_dropped = Signal(int, object)
    """(source id, folder or None): a source was dragged onto a folder (or out of one)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.setHeaderHidden(True)
        self.setColumnCount(2)
        self.setRootIsDecorated(False)
        self.setIndentation(12)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self._items: dict[tuple[str, Any], QTreeWidgetItem] = {}
        self.languages_shown: set[str] = set()
        """Language codes to list (empty: all), from the settings."""
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._context_menu)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self._sections: dict[str, QTreeWidgetItem] = {}
        for key, title in (
            ("views", ""),
            ("sources", "Sources"),
            ("languages", "Languages"),
            ("topics", "Topics"),
            ("searches", "Saved searches"),
        ):
            section = QTreeWidgetItem(self, [title.upper(), ""])
            section.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = QFont(section.font(0))
            font.setPointSizeF(font.pointSizeF() * 0.8)
            font.setBold(True)
            section.setFont(0, font)
            section.setForeground(0, QColor("#6b7280"))
            section.setExpanded(True)
            self._sections[key] = section
            if not title:
                section.setHidden(False)
        for view, title in VIEW_TITLES.items():
            self._item("views", ("view", view), title, 0, self._sections["views"])
        self.header().setStretchLastSection(False)
        self.header().setSectionResizeMode(0, self.header().ResizeMode.Stretch)
        self.header().setSectionResizeMode(1, self.header().ResizeMode.ResizeToContents)
        self.itemClicked.connect(self._clicked)
        self.itemActivated.connect(self._clicked)

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
            item = QTreeWidgetItem(parent, [title, ""])
            item.setData(0, KEY_ROLE, key)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self._items[key] = item
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
        for key in [k for k, it in self._items.items() if self._section_of(it) == section]:
            if key not in keep:
                item = self._items.pop(key)
                (item.parent() or self.invisibleRootItem()).removeChild(item)

    def _section_of(self, item: QTreeWidgetItem) -> str:
        top = item
        while top.parent() is not None:
            top = top.parent()
        for name, section in self._sections.items():
            if section is top:
                return name
        return ""

    def update_counts(self, counts: SidebarCounts) -> None:
        """Show new counts, adding and removing entries as needed (no reset)."""
        # Size the count column once at the end, not after each of 2,000 changes.
        header = self.header()
        header.setSectionResizeMode(1, header.ResizeMode.Fixed)
        try:
            self._update_counts(counts)
        finally:
            header.setSectionResizeMode(1, header.ResizeMode.ResizeToContents)

    def _update_counts(self, counts: SidebarCounts) -> None:
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
            flags = (
                Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsDropEnabled
            )
            if item.flags() != flags:
                item.setFlags(flags)
        sources_section.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsDropEnabled)
        for s in counts.sources:
            key = ("source", s["id"])
            keep.add(key)
            parent = self._items[("folder", s["folder"])] if s["folder"] else sources_section
            title = s["title"] or s["url"]
            tip = s["url"]
            if s["last_error"]:
                title = f"⚠ {title}"
                when = (s.get("last_error_at") or "").replace("T", " ").replace("Z", " UTC")
                tip = f"{s['url']}\nLast error ({when}): {s['last_error']}\nRight-click → Retry now"
            if not s["enabled"]:
                title = f"{title} (disabled)"
                tip += "\n(disabled)"
            item = self._items.get(key)
            if item is not None and item.parent() is not parent:
                (item.parent() or self.invisibleRootItem()).removeChild(item)
                del self._items[key]
            item = self._item("sources", key, title, s["unread_count"], parent, tip)
            colour = "#b91c1c" if s["last_error"] else "#111827" if s["enabled"] else "#9ca3af"
            if item.foreground(0).color().name() != colour:
                item.setForeground(0, QColor(colour))
            flags = (
                Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsDragEnabled
            )
            if item.flags() != flags:
                item.setFlags(flags)
        self._drop_missing("sources", keep)
        for folder in folders:
            self._items[("folder", folder)].setExpanded(True)
        keep = set()
        for code, count in counts.languages:
            if self.languages_shown and code not in self.languages_shown:
                continue
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
            keep.add(("search", query))
            self._item("searches", ("search", query), name, 0, self._sections["searches"], query)
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
        if key and key[0] in ("source", "folder"):
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

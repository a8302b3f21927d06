"""The article list: a lazily paged tree model (stories fold into one row) and its view.

The model knows only the rows it has loaded. Pages of ``PAGE`` rows come
from keyset queries run on a read thread (through :class:`Tasks`); rows of the
same story fold into the newest one, which shows "+N" and expands to its
copies. After a change the model updates the affected rows in place
(:meth:`ArticleModel.apply_rows`); it resets only when the query changes.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from desktop.store.queries import ArticleQuery, ArticleRow
from desktop.ui.qt import (
    ACCESSIBLE_TEXT_ROLE,
    ALIGN_CENTER,
    ALIGN_RIGHT_VCENTER,
    ALIGNMENT_ROLE,
    DISPLAY_ROLE,
    FONT_ROLE,
    FOREGROUND_ROLE,
    TOOLTIP_ROLE,
    USER_ROLE,
    QAbstractItemModel,
    QAbstractItemView,
    QColor,
    QFont,
    QFontMetrics,
    QModelIndex,
    QPersistentModelIndex,
    QPixmap,
    QRect,
    QSize,
    QStyledItemDelegate,
    Qt,
    QTreeView,
    Signal,
)

if TYPE_CHECKING:  # touching these classes builds ~20 enum classes: not before the first paint
    from desktop.ui.qt import QPainter, QStyleOptionViewItem

PAGE = 200
COLUMNS = ("", "Title", "Source", "Lang", "Topics", "Published")
COL_STATE, COL_TITLE, COL_SOURCE, COL_LANG, COL_TOPICS, COL_TIME = range(6)
SORT_BY_COLUMN = {
    COL_TITLE: "title",
    COL_SOURCE: "source",
    COL_LANG: "language",
    COL_TIME: "published",
}
ROW_ROLE = USER_ROLE + 1
CHIPS_ROLE = USER_ROLE + 2
PREFETCH_PAGES = 3
"""Fetch the next page once the view is this many screens from the end of what is loaded."""
_TRANSPARENT = (0, 0, 0, 0)
_ROLES = frozenset(
    (
        ROW_ROLE,
        CHIPS_ROLE,
        DISPLAY_ROLE,
        FONT_ROLE,
        FOREGROUND_ROLE,
        TOOLTIP_ROLE,
        ALIGNMENT_ROLE,
        ACCESSIBLE_TEXT_ROLE,
    )
)
"""The roles ``ArticleModel.data`` answers; every other role returns at once (a repaint
asks each cell for about ten roles)."""

STICKY_VIEW = {"unread": "inbox", "flagged": "all"}
"""A row read in Unread (or unflagged in Flagged) stays listed until the view reloads."""


@dataclass(slots=True)
class Item:
    """One loaded row: a story head (top level) or one of its copies."""

    row: ArticleRow
    size: int = 1
    children: list[Item] | None = None
    head_id: int = 0
    """0 at the top level; for a copy, the id of its story's head row."""


def relative_time(iso: str, now: datetime | None = None) -> str:
    """``5 min``, ``3 h``, ``Tue``, ``12 Mar``, ``12 Mar 2023``."""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    now = now or datetime.now(UTC)
    seconds = (now - moment).total_seconds()
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h"
    local = moment.astimezone()
    if seconds < 6 * 86400:
        return local.strftime("%a %H:%M")
    if local.year == now.year:
        return local.strftime("%d %b").lstrip("0")
    return local.strftime("%d %b %Y").lstrip("0")


def exact_time(iso: str) -> str:
    """The local time in full, for tooltips."""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    return moment.astimezone().strftime("%A %d %B %Y, %H:%M:%S %Z")


PageLoader = Callable[[ArticleQuery, str, bool, Any], tuple[list[ArticleRow], dict[int, int], Any]]
"""(query, sort, descending, cursor) → (rows, story sizes, next cursor or None).

Runs off the UI thread."""


class ArticleModel(QAbstractItemModel):
    """Loaded rows of one query, paged on demand."""

    page_loaded = Signal(int)
    """Rows added by the page that just arrived."""
    story_loaded = Signal(int)
    """The head id whose copies just arrived."""

    def __init__(self, submit: Callable[..., Any], parent: Any = None) -> None:
        super().__init__(parent)
        self._submit = submit  # (fn, *args, done=cb) → runs fn off the UI thread
        self._load_page: PageLoader | None = None
        self._load_story: Callable[[int], list[ArticleRow]] | None = None
        self.query = ArticleQuery(limit=PAGE)
        self.sort = "published"
        self.descending = True
        self._heads: list[Item] = []
        self._pos: dict[int, int] = {}
        self._stories: dict[int, int] = {}  # story id → head article id
        self._expanded: set[int] = set()  # head ids whose copies are loaded
        self._cursor: Any = None
        self._exhausted = True
        self._loading = False
        self._generation = 0
        self.marked: set[int] = set()
        """Ids selected with x (bulk actions act on them)."""
        self.wants_more: Callable[[], bool] = lambda: True
        """Whether the view needs another page (the view sets it: near its end).

        QTreeView asks for more rows at every layout; without this gate each
        arriving page would request the next until every row is loaded."""
        self._bold = QFont()
        self._bold.setBold(True)
        self._grey = QColor("#6b7280")
        self._amber = QColor("#d97706")
        self._times: dict[str, str] = {}
        self._time_minute = 0

    # -- wiring --------------------------------------------------------------
    def set_loaders(self, page: PageLoader, story: Callable[[int], list[ArticleRow]]) -> None:
        """Attach the functions that read pages and story copies (once the database is open)."""
        self._load_page = page
        self._load_story = story

    @property
    def loading(self) -> bool:
        """A page request is in flight."""
        return self._loading

    @property
    def exhausted(self) -> bool:
        """Every row of the query is loaded."""
        return self._exhausted

    def set_query(
        self, query: ArticleQuery, sort: str | None = None, descending: bool | None = None
    ) -> None:
        """Show another query: drop loaded rows and fetch the first page."""
        self.beginResetModel()
        self.query = replace(query, limit=PAGE, after=None)
        if sort is not None:
            self.sort = sort
        if descending is not None:
            self.descending = descending
        self._heads = []
        self._pos = {}
        self._stories = {}
        self._expanded = set()
        self._cursor = None
        self._exhausted = self._load_page is None
        self._loading = False
        self._generation += 1
        self.marked.clear()
        self.endResetModel()
        if self._load_page is not None:
            self.fetchMore(QModelIndex())

    def preload(
        self, query: ArticleQuery, rows: list[ArticleRow], sizes: dict[int, int], cursor: Any
    ) -> None:
        """Show a first page read before the loaders exist (the start-up fast path);
        paging continues from ``cursor`` once :meth:`set_loaders` is called."""
        self.set_query(query)
        self._on_page(self._generation, (rows, sizes, cursor))

    @property
    def default_order(self) -> bool:
        """Newest first (the order new rows can be inserted into)."""
        return self.sort == "published" and self.descending

    # -- Qt model API ----------------------------------------------------------
    def columnCount(self, parent: Any = QModelIndex()) -> int:  # noqa: B008
        return len(COLUMNS)

    def rowCount(self, parent: Any = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self._heads)
        if parent.internalId() != 0 or parent.column() != 0:
            return 0
        children = self._heads[parent.row()].children
        return len(children) if children else 0

    def hasChildren(self, parent: Any = QModelIndex()) -> bool:  # noqa: B008
        if not parent.isValid():
            return bool(self._heads)
        if parent.internalId() != 0 or parent.column() != 0:
            return False
        return self._heads[parent.row()].size > 1

    def index(self, row: int, column: int, parent: Any = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not parent.isValid():
            if 0 <= row < len(self._heads) and 0 <= column < len(COLUMNS):
                return self.createIndex(row, column, 0)
            return QModelIndex()
        if parent.internalId() != 0:
            return QModelIndex()
        head = self._heads[parent.row()]
        if head.children and 0 <= row < len(head.children) and 0 <= column < len(COLUMNS):
            return self.createIndex(row, column, head.row.id)
        return QModelIndex()

    def parent(self, index: Any = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid() or index.internalId() == 0:
            return QModelIndex()
        pos = self._pos.get(int(index.internalId()))
        if pos is None:
            return QModelIndex()
        return self.createIndex(pos, 0, 0)

    def item(self, index: QModelIndex | QPersistentModelIndex) -> Item | None:
        """The loaded item behind an index."""
        if not index.isValid():
            return None
        if index.internalId() == 0:
            return self._heads[index.row()] if index.row() < len(self._heads) else None
        pos = self._pos.get(int(index.internalId()))
        if pos is None:
            return None
        children = self._heads[pos].children or []
        return children[index.row()] if index.row() < len(children) else None

    # No ``flags()``: Qt's default (enabled and selectable) is what rows need, and a
    # Python override would build the ``Qt`` enums at the first paint. The view's
    # header reads its titles from a model of its own (see ArticleView); this one
    # answers other readers (accessibility).
    def headerData(self, section: int, orientation: Any, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == DISPLAY_ROLE:
            return COLUMNS[section]
        return None

    def data(self, index: Any, role: int = DISPLAY_ROLE) -> Any:
        if role not in _ROLES:
            return None
        it = self.item(index)
        if it is None:
            return None
        return self._value(it, index.column(), role)

    def multiData(self, index: Any, span: Any) -> None:
        """Every role a delegate asks for in one call (Qt 6 paints through this).

        Every role this model answers is written, cleared when this cell has no value: a
        delegate reuses its span from cell to cell, so a role left alone would keep the
        previous cell's value (the state column's amber and the time column's right
        alignment showed in titles). Other roles are never set, so they stay empty."""
        it = self.item(index)
        col = index.column()
        for rd in span:
            role = rd.role()
            if role in _ROLES:
                value = self._value(it, col, role) if it is not None else None
                if value is None:
                    rd.clearData()
                else:
                    rd.setData(value)

    def _value(self, it: Item, col: int, role: int) -> Any:
        r = it.row
        if role == ROW_ROLE:
            return r
        if role == DISPLAY_ROLE:
            if col == COL_STATE:
                flag = "⚑" if r.flagged else ("⚐" if r.flagged_by else "")  # ⚐: others only
                return ("✓" if r.id in self.marked else "") + flag
            if col == COL_TITLE:
                extra = f"  +{it.size - 1}" if it.size > 1 and not it.head_id else ""
                return (r.title or "(untitled)") + extra
            if col == COL_SOURCE:
                return r.source
            if col == COL_LANG:
                return r.language or "und"
            if col == COL_TOPICS:
                return ", ".join(r.topics)
            if col == COL_TIME:
                return self._relative_time(r.published)
        if role == CHIPS_ROLE and col == COL_TOPICS:
            return r.topics
        if role == TOOLTIP_ROLE:
            if col == COL_TIME:
                return exact_time(r.published)
            if col == COL_LANG:
                text = f"Body language: {r.language or 'unknown'}"
                if r.title_language and r.title_language != r.language:
                    text += f"\nHeadline language: {r.title_language}"
                return text
            if col == COL_TITLE:
                tip = r.title
                if it.size > 1 and not it.head_id:
                    tip += f"\nThe same story from {it.size} sources (→ to expand)"
                return tip
            if col == COL_STATE:
                states = ["unread" if not r.read else "read"]
                if r.flagged:
                    states.append("flagged")
                if r.flagged_by:
                    states.append("flagged by " + ", ".join(r.flagged_by))
                if r.archived:
                    states.append("archived")
                if r.id in self.marked:
                    states.append("selected")
                return ", ".join(states)
            if col == COL_SOURCE and r.folder:
                return f"{r.source} (folder {r.folder})"
            if col == COL_TOPICS and r.tagged_by:  # others' additions, attributed
                return "\n".join(f"{t} — {', '.join(names)}" for t, names in r.tagged_by.items())
        if role == FONT_ROLE and not r.read and col in (COL_TITLE, COL_SOURCE):
            return self._bold
        if role == FOREGROUND_ROLE:
            if r.archived or (r.read and col != COL_STATE):
                return self._grey
            if col == COL_STATE:
                return self._amber
        if role == ALIGNMENT_ROLE and col == COL_TIME:
            return ALIGN_RIGHT_VCENTER
        if role == ACCESSIBLE_TEXT_ROLE and col == COL_STATE:
            return "unread" if not r.read else "read"
        return None

    def _relative_time(self, published: str) -> str:
        """``relative_time``, remembered for the current minute (repaints ask often)."""
        import time

        minute = int(time.time() // 60)
        if minute != self._time_minute:
            self._time_minute = minute
            self._times.clear()
        text = self._times.get(published)
        if text is None:
            text = self._times[published] = relative_time(published)
        return text

    # -- paging ----------------------------------------------------------------
    def canFetchMore(self, parent: Any = QModelIndex()) -> bool:  # noqa: B008
        if not parent.isValid():
            return not self._exhausted and not self._loading
        if parent.internalId() == 0 and parent.row() < len(self._heads):
            head = self._heads[parent.row()]
            return head.size > 1 and head.children is None
        return False

    def fetchMore(self, parent: Any = QModelIndex()) -> None:  # noqa: B008
        if not parent.isValid():
            if self._exhausted or self._loading or self._load_page is None:
                return
            if self._heads and not self.wants_more():
                return
            self._loading = True
            gen = self._generation
            q = self.query
            self._submit(
                self._load_page,
                q,
                self.sort,
                self.descending,
                self._cursor,
                done=lambda result: self._on_page(gen, result),
            )
            return
        head = self.item(parent)
        if head is None or head.children is not None or self._load_story is None:
            return
        head.children = []  # requested
        story_id = head.row.story_id
        gen = self._generation
        if story_id is None:
            return
        self._submit(
            self._load_story,
            story_id,
            done=lambda rows: self._on_story(gen, head.row.id, rows),
        )

    def _on_page(self, gen: int, result: tuple[list[ArticleRow], dict[int, int], Any]) -> None:
        if gen != self._generation:
            return
        rows, sizes, cursor = result
        self._loading = False
        self._cursor = cursor
        self._exhausted = cursor is None
        new: list[Item] = []
        for r in rows:
            if r.id in self._pos:
                continue
            if r.story_id is not None:
                if r.story_id in self._stories:
                    continue
                self._stories[r.story_id] = r.id
            new.append(Item(r, sizes.get(r.story_id, 1) if r.story_id is not None else 1))
        if new:
            first = len(self._heads)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            self._heads.extend(new)
            for n, it in enumerate(new, first):
                self._pos[it.row.id] = n
            self.endInsertRows()
        self.page_loaded.emit(len(new))

    def _on_story(self, gen: int, head_id: int, rows: list[ArticleRow]) -> None:
        if gen != self._generation or head_id not in self._pos:
            return
        pos = self._pos[head_id]
        head = self._heads[pos]
        copies = [Item(r, 1, None, head_id) for r in rows if r.id != head_id]
        head.size = len(copies) + 1
        parent = self.index(pos, 0)
        if copies:
            self.beginInsertRows(parent, 0, len(copies) - 1)
            head.children = copies
            self._expanded.add(head_id)
            self.endInsertRows()
        self.dataChanged.emit(self.index(pos, 0), self.index(pos, len(COLUMNS) - 1))
        self.story_loaded.emit(head_id)

    # -- finding rows ----------------------------------------------------------
    def row_of(self, article_id: int) -> QModelIndex:
        """The index (column 0) of a loaded article, head or copy; invalid when not loaded."""
        pos = self._pos.get(article_id)
        if pos is not None:
            return self.index(pos, 0)
        for head_id in self._expanded:
            n = self._pos.get(head_id)
            if n is None:
                continue
            for m, child in enumerate(self._heads[n].children or ()):
                if child.row.id == article_id:
                    return self.index(m, 0, self.index(n, 0))
        return QModelIndex()

    def story_member_ids(self, story_ids: Iterable[int]) -> set[int]:
        """Ids of loaded rows (heads and copies) folded into ``story_ids``."""
        out: set[int] = set()
        for story_id in story_ids:
            pos = self._pos.get(self._stories.get(story_id, 0))
            if pos is None:
                continue
            head = self._heads[pos]
            out.add(head.row.id)
            out.update(c.row.id for c in head.children or ())
        return out

    def loaded_ids(self) -> list[int]:
        """Ids of every loaded row (heads and expanded copies)."""
        out = list(self._pos)
        for head_id in self._expanded:
            pos = self._pos.get(head_id)
            if pos is not None:
                out.extend(c.row.id for c in self._heads[pos].children or ())
        return out

    def head_ids(self) -> list[int]:
        """Ids of the top-level rows, in order."""
        return [h.row.id for h in self._heads]

    def items(self) -> Iterable[tuple[QModelIndex, Item]]:
        """Every loaded row with its index (heads, then each one's expanded copies)."""
        for n, head in enumerate(self._heads):
            parent = self.index(n, 0)
            yield parent, head
            for m, child in enumerate(head.children or ()):
                yield self.index(m, 0, parent), child

    # -- updates in place ------------------------------------------------------
    def _row_changed(self, index: QModelIndex) -> None:
        self.dataChanged.emit(index.siblingAtColumn(0), index.siblingAtColumn(len(COLUMNS) - 1))

    def _rows_changed(self, indexes: list[QModelIndex]) -> None:
        """One ``dataChanged`` per parent over the span of ``indexes`` (a bulk change
        signalled row by row cost the UI thread ~40 µs a row)."""
        if len(indexes) <= 2:
            for index in indexes:
                self._row_changed(index)
            return
        spans: dict[int, tuple[int, int, QModelIndex]] = {}
        for index in indexes:
            key = int(index.internalId())
            row = index.row()
            lo, hi, parent = spans.get(key, (row, row, index.parent()))
            spans[key] = (min(lo, row), max(hi, row), parent)
        last = len(COLUMNS) - 1
        for lo, hi, parent in spans.values():
            self.dataChanged.emit(self.index(lo, 0, parent), self.index(hi, last, parent))

    def set_state(self, ids: Iterable[int], field: str, value: bool) -> None:
        """Optimistic update: set ``read``/``flagged``/``archived`` on loaded rows now."""
        changed = []
        for article_id in set(ids):
            index = self.row_of(article_id)
            it = self.item(index)
            if it is not None and getattr(it.row, field) != value:
                setattr(it.row, field, value)
                changed.append(index)
        self._rows_changed(changed)

    def set_state_all(self, field: str, value: bool) -> None:
        """``set_state`` on every loaded row (Shift+A): one pass, one signal per story."""
        lo = hi = -1
        for n, head in enumerate(self._heads):
            if getattr(head.row, field) != value:
                setattr(head.row, field, value)
                lo = n if lo < 0 else lo
                hi = n
            changed = False
            for child in head.children or ():
                if getattr(child.row, field) != value:
                    setattr(child.row, field, value)
                    changed = True
            if changed:
                parent = self.index(n, 0)
                last = len(head.children or ()) - 1
                self.dataChanged.emit(
                    self.index(0, 0, parent), self.index(last, len(COLUMNS) - 1, parent)
                )
        if lo >= 0:
            self.dataChanged.emit(self.index(lo, 0), self.index(hi, len(COLUMNS) - 1))

    def toggle_marked(self, article_id: int) -> None:
        """Add to or remove from the x-selection."""
        self.marked ^= {article_id}
        index = self.row_of(article_id)
        if index.isValid():
            self._row_changed(index)

    def clear_marked(self) -> None:
        """Empty the x-selection."""
        ids, self.marked = self.marked, set()
        for i in ids:
            index = self.row_of(i)
            if index.isValid():
                self._row_changed(index)

    def remove_ids(self, ids: Iterable[int]) -> None:
        """Drop loaded rows (top-level ones; copies go with their head)."""
        wanted = set(ids)
        rows = sorted((self._pos[i] for i in wanted if i in self._pos), reverse=True)
        for pos in rows:
            head = self._heads[pos]
            self.beginRemoveRows(QModelIndex(), pos, pos)
            del self._heads[pos]
            if head.row.story_id is not None:
                self._stories.pop(head.row.story_id, None)
            self._expanded.discard(head.row.id)
            self.endRemoveRows()
            self.marked.discard(head.row.id)
        if rows:
            for i in wanted:
                self._pos.pop(i, None)
            self._reindex(rows[-1])
        for head_id in list(self._expanded):
            head = self._heads[self._pos[head_id]]
            if not head.children:
                continue
            parent = self.index(self._pos[head_id], 0)
            for m in range(len(head.children) - 1, -1, -1):
                if head.children[m].row.id in wanted:
                    self.beginRemoveRows(parent, m, m)
                    del head.children[m]
                    self.endRemoveRows()

    def _reindex(self, start: int = 0) -> None:
        """Renumber head positions from ``start`` on (rows before it did not move)."""
        if start == 0:
            self._pos = {h.row.id: n for n, h in enumerate(self._heads)}
            return
        for n in range(start, len(self._heads)):
            self._pos[self._heads[n].row.id] = n

    def _in_loaded_range(self, r: ArticleRow) -> bool:
        if self._exhausted or not self._heads:
            return True
        last = self._heads[-1].row
        return (r.published, r.id) > (last.published, last.id)

    def apply_rows(
        self, fresh: list[ArticleRow], matching: set[int], sticky: set[int], sizes: dict[int, int]
    ) -> None:
        """Reconcile loaded rows with fresh ones read after a change.

        ``matching``: ids of ``fresh`` that match the query; ``sticky``: those that
        match its sticky form (rows stay listed when only read/flag changed).
        Loaded rows update in place or leave; new matching rows in the loaded
        range are inserted at their place (newest-first order only).
        """
        by_id = {r.id: r for r in fresh}
        gone = [i for i in by_id if i in self._pos and i not in sticky]
        self.remove_ids(gone)
        loaded: set[int] = set()
        changed: list[QModelIndex] = []
        for article_id, r in by_id.items():
            index = self.row_of(article_id)
            it = self.item(index)
            if it is None:
                continue
            loaded.add(article_id)
            if r != it.row:
                it.row = r
                changed.append(index)
        for story_id, size in sizes.items():
            pos = self._pos.get(self._stories.get(story_id, 0))
            if pos is not None and self._heads[pos].size != size:
                self._heads[pos].size = size
                changed.append(self.index(pos, 0))
        self._rows_changed(changed)
        if not self.default_order:
            return
        for r in sorted(by_id.values(), key=lambda r: (r.published, r.id), reverse=True):
            if r.id in loaded or r.id not in matching or not self._in_loaded_range(r):
                continue
            if r.story_id is not None and r.story_id in self._stories:
                continue
            key = (r.published, r.id)
            pos = 0
            while (
                pos < len(self._heads)
                and (self._heads[pos].row.published, self._heads[pos].row.id) > key
            ):
                pos += 1
            self.beginInsertRows(QModelIndex(), pos, pos)
            size = sizes.get(r.story_id, 1) if r.story_id is not None else 1
            self._heads.insert(pos, Item(r, size))
            if r.story_id is not None:
                self._stories[r.story_id] = r.id
            self._reindex()
            self.endInsertRows()


class RowHeightDelegate(QStyledItemDelegate):
    """Qt's own painting with the chip columns' row height: the Lang and Topics columns
    until the first paint is done (Python ``paint`` calls per cell, and the painter's
    and style option's types, cost ~3 ms before it; the rows keep their height)."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width(), max(size.height(), QFontMetrics(option.font).height() + 8))


class ChipDelegate(RowHeightDelegate):
    """Paints topics as chips and the language as a compact badge (the Lang and Topics
    columns only; the others keep Qt's own delegate).

    Chips are drawn once per (labels, width) into a transparent pixmap and reused:
    a repaint of the list then costs one ``drawPixmap`` per cell.
    """

    CACHE_SIZE = 512

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._cache: dict[tuple[Any, ...], QPixmap] = {}
        self.plain = True
        """Draw the labels as plain text; ``ArticleView.finish_setup`` clears it when it
        puts this delegate on its columns (until then they have a ``RowHeightDelegate``:
        a chip's pen and brush would build every ``Qt`` enum class before the first
        paint)."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        super().initStyleOption(option, index)
        if not self.plain:
            option.text = ""  # the chips replace the text

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        super().paint(painter, option, index)  # background, selection, focus: Qt's own
        if self.plain:
            return
        col = index.column()
        labels = index.data(CHIPS_ROLE) if col == COL_TOPICS else [index.data()]
        labels = tuple(x for x in labels or () if x)
        if not labels:
            return
        rect = option.rect.adjusted(4, 0, -2, 0)
        font = option.font  # the view's: these columns have no font role
        ratio = painter.device().devicePixelRatioF() if painter.device() else 1.0
        key = (col, labels, rect.width(), rect.height(), font.key(), ratio)
        pixmap = self._cache.get(key)
        if pixmap is None:
            pixmap = self._render(col, labels, rect.width(), rect.height(), font, ratio)
            if len(self._cache) >= self.CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = pixmap
        painter.drawPixmap(rect.left(), rect.top(), pixmap)

    @staticmethod
    def _render(
        col: int, labels: tuple[str, ...], width: int, height: int, base: QFont, ratio: float
    ) -> QPixmap:
        from desktop.ui.qt import QPainter

        pixmap = QPixmap(max(1, int(width * ratio)), max(1, int(height * ratio)))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(QColor(*_TRANSPARENT))
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(base)
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        painter.setFont(font)
        fm = QFontMetrics(font)
        x = 0
        h = fm.height() + 2
        y = (height - h) // 2
        for label in labels:
            text = label.upper() if col == COL_LANG else label
            w = fm.horizontalAdvance(text) + 10
            if x + w > width:
                break
            chip = QRect(x, y, w, h)
            if col == COL_LANG:
                bg, fg = ("#e5e7eb", "#6b7280") if label == "und" else ("#dbeafe", "#1e40af")
            else:
                bg, fg = "#ecfdf5", "#047857"
            painter.setPen(QColor(*_TRANSPARENT))  # no outline
            painter.setBrush(QColor(bg))
            painter.drawRoundedRect(chip, h / 2, h / 2)
            painter.setPen(QColor(fg))
            painter.drawText(chip, ALIGN_CENTER, text)
            x += w + 4
        painter.end()
        return pixmap


class ArticleView(QTreeView):
    """The list widget: one row per story, keyboard-driven (keys come from the registry)."""

    paint_hook: Callable[[], None] | None = None
    """Called after each paint of the list (benchmarks measure key-to-repaint with it)."""
    after_paint: Callable[[], None] | None = None
    """Called after each paint of the list (the window starts held background jobs)."""

    def __init__(self, model: ArticleModel, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("articleList")
        self.setModel(model)
        self.chips = ChipDelegate(self)
        """The Lang and Topics columns' delegate, from :meth:`finish_setup` on."""
        self._plain_cells = RowHeightDelegate(self)
        self.setItemDelegateForColumn(COL_LANG, self._plain_cells)
        self.setItemDelegateForColumn(COL_TOPICS, self._plain_cells)
        self.setUniformRowHeights(True)
        self.setRootIsDecorated(True)
        self.setAllColumnsShowFocus(True)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setExpandsOnDoubleClick(False)
        self.setItemsExpandable(True)
        self.setIndentation(14)
        self.setTreePosition(COL_TITLE)  # copies of a story indent under its title
        self._fills_background = False
        """The viewport is opaque and this view paints its background (finish_setup)."""
        view = weakref.ref(self)  # no model → view cycle for the GC to break on a worker thread
        model.wants_more = lambda: (v := view()) is None or v._near_end()
        header = self.header()
        # The titles come from a model of their own: the header would otherwise ask the
        # article model, through a Python call whose orientation argument builds the
        # ``Qt`` enums before the first paint.
        from desktop.ui.qt import QHeaderView, QStandardItemModel

        titles = QStandardItemModel(0, len(COLUMNS), self)
        titles.setHorizontalHeaderLabels(list(COLUMNS))
        header.setModel(titles)
        header.setStretchLastSection(False)
        header.setSectionsClickable(True)

        header.setSectionResizeMode(COL_TITLE, QHeaderView.ResizeMode.Stretch)
        for col, width in (
            (COL_STATE, 44),
            (COL_SOURCE, 150),
            (COL_LANG, 52),
            (COL_TOPICS, 170),
            (COL_TIME, 90),
        ):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
            self.setColumnWidth(col, width)

    def finish_setup(self) -> None:
        """What waits for the first paint: the header's sort arrow (newest first) and
        the language and topic chips (plain text until then)."""
        header = self.header()
        header.setSortIndicatorShown(True)
        header.setSortIndicator(COL_TIME, Qt.SortOrder.DescendingOrder)
        if self.chips.plain:
            self.chips.plain = False
            self.setItemDelegateForColumn(COL_LANG, self.chips)
            self.setItemDelegateForColumn(COL_TOPICS, self.chips)
            self.viewport().update()
        if not self._fills_background:
            # Scrolling by a row then moves the pixels and repaints only the rows that
            # changed: a style sheet's background makes the viewport non-opaque, and Qt
            # repaints all of it at each scroll (~3x the paint of a j/k keystroke). The
            # background Qt would have drawn under the rows is filled in paintEvent.
            self._fills_background = True
            self.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)

    def _near_end(self) -> bool:
        """The viewport is within ``PREFETCH_PAGES`` screens of the last loaded row."""
        bar = self.verticalScrollBar()
        return bar.maximum() - bar.value() <= PREFETCH_PAGES * max(1, bar.pageStep())

    def paintEvent(self, event: Any) -> None:
        if self._fills_background:
            from desktop.ui.qt import QPainter

            viewport = self.viewport()
            painter = QPainter(viewport)  # clipped to the region being repainted
            painter.fillRect(event.rect(), viewport.palette().brush(viewport.backgroundRole()))
            painter.end()
        super().paintEvent(event)
        if self.after_paint is not None:
            self.after_paint()
        if self.paint_hook is not None:
            self.paint_hook()

    def install_startup_probe(self) -> None:
        """Print ``NEWSDESK_FIRST_PAINT <unix time>`` at the first paint with rows, then
        close the window (which ends the application).

        The start-up benchmark turns it on with ``NEWSDESK_STARTUP_PROBE=1`` (see app.py).
        Closing, not ``QApplication.quit()``: until the first paint only a local event
        loop runs, and Qt ignores a quit request then.
        """
        import time

        from desktop.ui.qt import QTimer

        def hook() -> None:
            if self.model().rowCount() > 0:
                self.paint_hook = None
                print(f"NEWSDESK_FIRST_PAINT {time.time():.6f}", flush=True)
                QTimer.singleShot(0, self.window().close)

        self.paint_hook = hook

    def article_model(self) -> ArticleModel:
        """The model, typed."""
        model = self.model()
        assert isinstance(model, ArticleModel)
        return model

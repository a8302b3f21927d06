"""The triage window: sidebar, article list, reading pane, status bar; every action a command.

The window talks to the backend only through the ``Newsdesk`` facade, and
never on the UI thread: reads go to :meth:`Tasks.read`, triage actions to
:meth:`Tasks.write` (in order), refresh to :meth:`Tasks.spawn`. Lists update
in place from what actions return.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop.commands.navigation import VIEW_COMMANDS
from desktop.commands.registry import Registry, display_keys
from desktop.store.queries import ArticleQuery, ArticleRow
from desktop.ui.article_list import (
    COL_TIME,
    PAGE,
    SORT_BY_COLUMN,
    STICKY_VIEW,
    ArticleModel,
    ArticleView,
)
from desktop.ui.keys import KeyDispatcher
from desktop.ui.qt import (
    VERTICAL,
    QAbstractScrollArea,
    QApplication,
    QLabel,
    QLineEdit,
    QMainWindow,
    QModelIndex,
    QProgressBar,
    QSplitter,
    QStackedWidget,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from desktop.ui.sidebar import VIEW_TITLES, Sidebar, language_name
from desktop.ui.tasks import Tasks

if TYPE_CHECKING:  # dialog-only Qt types: resolved when first used, not at start-up
    from desktop.ui.qt import QAction, QDialog, QUrl
    from desktop.ui.reader_pane import ReaderPane

log = logging.getLogger(__name__)

POLL_MS = 1000
QUIT_GRACE_MS = 800
"""Closing during a fetch waits at most this long for the cancelled fetch to unwind."""
SEARCH_DEBOUNCE_MS = 250
REMOTE_IDS_MAX = 1000
"""More ids than this in one batch of other clients' changes: reread what is loaded."""
RELEASE_FALLBACK_MS = 40
EARLY_SAFE = ("nav.", "app.", "story.", "filter.search")
"""Commands that work on a preloaded first page before the database is open; others
wait in a queue until it is."""
"""Background jobs a command starts wait for the list's repaint, at most this long."""
STATE_FIELDS = {
    "read": ("read", True),
    "unread": ("read", False),
    "flag": ("flagged", True),
    "unflag": ("flagged", False),
    "archive": ("archived", True),
    "unarchive": ("archived", False),
}


@dataclass(frozen=True, slots=True)
class WindowSettings:
    """What the window needs from the settings (the settings dialog is elsewhere)."""

    mark_read_on_open: str = "now"
    """'now', 'never', or 'delay' (after ``mark_read_delay`` seconds)."""
    mark_read_delay: float = 2.0
    refresh_pool: str = "process"
    poll_ms: int = POLL_MS

    @classmethod
    def load(cls, path: Path) -> WindowSettings:
        """Read ``settings.json`` if present (``mark_read_on_open``: "now", "never" or seconds)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        value = data.get("mark_read_on_open", "now") if isinstance(data, dict) else "now"
        if isinstance(value, int | float) and not isinstance(value, bool):
            return cls("delay", float(value))
        return cls(value if value in ("now", "never") else "now")


def visible_in(view: str, read: bool, flagged: bool, archived: bool) -> bool:
    """Does a row with this state belong to ``view``'s sticky form (what stays listed)?"""
    view = STICKY_VIEW.get(view, view)
    return {
        "inbox": not archived,
        "unread": not read and not archived,
        "flagged": flagged,
        "archived": archived,
        "all": True,
    }[view]


def fetch_image_bytes(url: str, limit: int = 5_000_000) -> bytes | None:
    """Download an allowed remote image (on a worker thread), at most ``limit`` bytes."""
    import httpx

    with httpx.stream("GET", url, timeout=10.0, follow_redirects=True) as response:
        if response.status_code != 200:
            return None
        data = bytearray()
        for chunk in response.iter_bytes():
            data.extend(chunk)
            if len(data) > limit:
                return None
        return bytes(data)


class SearchField(QLineEdit):
    """The search box: Esc clears it and hands focus back to the list."""

    def __init__(self, on_leave: Callable[[bool], None], parent: Any = None) -> None:
        super().__init__(parent)
        self._on_leave = on_leave
        self.setObjectName("search")
        self.setPlaceholderText("Search  ( / )")
        # the clear button (it shows only with text) comes with MainWindow.finish_setup:
        # its icon costs ~5 ms before the first paint

    def keyPressEvent(self, event: Any) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self._on_leave(True)
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Down):
            self._on_leave(False)
            return
        super().keyPressEvent(event)


class MainWindow(QMainWindow):
    """The whole triage window."""

    def __init__(
        self,
        registry: Registry,
        tasks: Tasks,
        settings: WindowSettings | None = None,
        open_url: Callable[[QUrl], Any] | None = None,
        defer_setup: bool = False,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.registry = registry
        self.tasks = tasks
        self.settings = settings or WindowSettings()
        self.desk: Any = None
        self.view = "inbox"
        self.source_ids: tuple[int, ...] = ()
        self.source_title = ""
        self.folder: str | None = None
        self.language: str | None = None
        self.topic: str | None = None
        self.search_text = ""
        self.counts: Any = None
        self.last_problem = ""
        self.refreshing = False
        self._probe: Any = None
        self._polling = False
        self.live: Any = None
        """On PostgreSQL: the ``LiveUpdates`` feeding other clients' commits in."""
        self._writes = 0
        self._after_page: list[Callable[[], None]] = []
        self._dialog: QDialog | None = None
        self._auto_read = True
        self._deferring = False
        self._pending_removal: set[int] = set()
        self._early_commands: list[str] | None = None
        self._paint_callbacks: list[Callable[[], None]] = []
        self._want_detail: int | None = None
        self._counts_busy = False
        self._counts_again = False
        self.opened_urls: list[str] = []
        # issue 5: settings, key map file, background helpers (set by the app)
        self.app_settings: Any = None
        self.keymap_path: Path | None = None
        self.tray: Any = None
        self.scheduler: Any = None
        self.last_report: Any = None
        self.context_menu: Any = None
        self.refresh_task: Any = None
        self._closing = False
        from desktop.ui.qt import QDesktopServices

        self._open_url = open_url or QDesktopServices.openUrl

        # widgets, each made under its final parent: a widget moved to another parent is
        # restyled with its children (~2 ms at start-up for the list, search and labels)
        top = QWidget(self)
        box = QVBoxLayout(top)
        box.setContentsMargins(6, 6, 6, 0)
        box.setSpacing(6)
        self.search = SearchField(self._leave_search, top)
        split = QSplitter(parent=top)  # horizontal (a positional parent would be tried as
        # a Qt.Orientation first, building every Qt enum class)
        split.setObjectName("mainSplit")
        self.sidebar = Sidebar(split, defer=defer_setup)
        self.stack = QStackedWidget(split)
        right = QSplitter(parent=self.stack)
        right.setProperty("orientation", VERTICAL)  # an int, not the enum: see desktop.ui.qt
        self._right = right
        self.model = ArticleModel(lambda fn, *a, done: self.tasks.read(fn, *a, done=done), self)
        self.list = ArticleView(self.model, right)
        # with defer_setup, the first paint shows the list: the reading pane (the first
        # QTextBrowser costs ~4 ms to build) and the sidebar's headings follow in
        # finish_setup (~15 ms of layout and painting); a frame of the pane's colours
        # holds its place until then
        self._reader: ReaderPane | None = None
        self._image_requests: set[str] = set()
        split.addWidget(self.sidebar)
        right.addWidget(self.list)
        if defer_setup:
            slot = QAbstractScrollArea(right)  # the size hint of the pane, not of a frame
            slot.setObjectName("readerSlot")
            right.addWidget(slot)
        else:
            self.reader.show_empty()
        right.setStretchFactor(0, 2)
        right.setStretchFactor(1, 3)
        self.stack.addWidget(right)
        self._welcome: Any = None  # the first-run page, made when first shown
        split.addWidget(self.stack)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([230, 970])
        box.addWidget(self.search)
        box.addWidget(split, 1)
        self.setCentralWidget(top)
        bar = self.statusBar()
        self.status_text = QLabel("Opening…", bar)
        self.user_label: QLabel | None = None  # who you are, once the backend is open
        self.keys_pending = QLabel("", bar)
        self.keys_pending.setObjectName("pendingKeys")
        self.progress = QProgressBar(bar)
        self.progress.setMaximumWidth(180)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.count_label = QLabel("", bar)
        bar.addWidget(self.status_text, 1)
        bar.addPermanentWidget(self.keys_pending)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.count_label)
        self.resize(1280, 800)

        from desktop.ui.app_actions import AppActions

        self.app_actions = AppActions(self)
        self._handlers = self._command_table()
        missing = [c.id for c in registry if c.id not in self._handlers]
        if missing:
            raise RuntimeError(f"commands without a handler: {missing}")
        self._build_menus()
        self.keys = KeyDispatcher(registry, self, self.run_command, self.keys_pending.setText)
        self._keys_installed = False
        if not defer_setup:
            self.finish_setup()

        # signals
        self.list.selectionModel().currentChanged.connect(self._current_changed)
        self.list.header().sectionClicked.connect(self._sort_clicked)
        self.list.expanded.connect(lambda _i: None)
        self.model.page_loaded.connect(self._page_loaded)
        self.sidebar.picked.connect(self._sidebar_picked)
        self.sidebar.menu_requested.connect(self.app_actions.sidebar_menu)
        self.sidebar.source_dropped.connect(
            lambda sid, folder: self.app_actions.move_to(sid, folder or "")
        )
        self.search.textEdited.connect(lambda _t: self._search_timer.start())
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DEBOUNCE_MS)
        self._search_timer.timeout.connect(self._apply_search)
        self._read_timer = QTimer(self)
        self._read_timer.setSingleShot(True)
        self._read_timer.timeout.connect(self._mark_current_read)
        self._poll_timer = QTimer(self)
        self._poll_timer.setInterval(self.settings.poll_ms)
        self._poll_timer.timeout.connect(self._poll)
        self._release_timer = QTimer(self)
        self._release_timer.setSingleShot(True)
        self._release_timer.setInterval(RELEASE_FALLBACK_MS)
        self._release_timer.timeout.connect(self._release_jobs)
        self.list.after_paint = self._list_painted
        self.tasks.on_error = self.report_problem
        self.setWindowTitle("Newsdesk")  # the view joins the title once the data is open
        self.list.setFocus()

    # -- wiring ----------------------------------------------------------------
    def attach(self, desk: Any) -> None:
        """Use an open ``Newsdesk``: load the first page and the counts, then follow
        other processes' commits (notifications on PostgreSQL, polling on SQLite)."""

        self.desk = desk
        self._show_user(getattr(desk, "user", None))
        self.model.set_loaders(self._load_page, self._load_story)
        if desk.live:
            from desktop.ui.live_updates import LiveUpdates

            self.live = LiveUpdates(self, desk)
        else:
            self._probe = desk.db.others_committed  # other processes' commits, not ours
        self.status_text.setText("")
        if self.model.rowCount() and self.model.query == replace(
            self.query(), limit=PAGE, after=None
        ):
            # the first page came from the start-up fast path: keep it (and the cursor),
            # and read on from there if the list is near its end (that page is short)
            self.model.fetchMore(QModelIndex())
            self._update_title()
            self.refresh_view_count()
            row = self.current_row()
            if row is not None:
                self.open_article(row.id, explicit=False, auto_read=False)
        else:
            self.reload()
        self.refresh_counts()
        if self._probe is not None:
            self.tasks.write(self._probe)  # waits on the writer: not on a read thread
            self._poll_timer.start()
        early, self._early_commands = self._early_commands or [], None
        for command_id in early:  # keys typed before the database was open
            self.run_command(command_id)

    def finish_setup(self) -> None:
        """The parts of the window the first paint does not need (called right after it
        when the window was built with ``defer_setup``): the application-wide key
        filter, the list's sort arrow and chips, the sidebar's headings and views, and
        the reading pane's empty state. Every event of the application passes through
        the filter, and at start-up each new event class costs PySide6 a lazily built
        Python type (~90 enum classes, ~50 ms before the first paint); the arrow, the
        chips and the headings take ``Qt`` enums, whose namespace costs ~13 ms to build;
        the sidebar and the pane's page cost ~15 ms of layout and painting."""
        if not self._keys_installed:
            self._keys_installed = True
            self.list.finish_setup()
            self.sidebar.finish_setup()
            self._show_sidebar_current()
            if self.reader.blank:
                self.reader.show_empty()
            QApplication.instance().installEventFilter(self.keys)
            self.search.setClearButtonEnabled(True)
            self._fill_menus()

    @property
    def reader(self) -> ReaderPane:
        """The reading pane, built at its first use (right after the first paint at
        start-up) in place of the frame that held its place."""
        pane = self._reader
        if pane is None:
            from desktop.ui.reader_pane import ReaderPane

            pane = self._reader = ReaderPane(self, empty=False)
            pane.open_url = self._open_link
            pane.fetch_image = self._fetch_image
            pane.allow_images_requested.connect(self._allow_images)
            right = self._right
            if right.count() < 2:  # built with the window
                right.addWidget(pane)
            else:  # in place of its frame, at the frame's size
                sizes = right.sizes()
                right.replaceWidget(1, pane).deleteLater()
                pane.show()  # (a widget moved to a new parent is hidden until shown)
                right.setStretchFactor(1, 3)  # a widget's own, not its place's
                right.setSizes(sizes)
        return pane

    def preload(self, rows: list[ArticleRow], sizes: dict[int, int], cursor: Any) -> None:
        """Show the first page of the default view before :meth:`attach` (start-up);
        triage keys typed until then run once the database is open."""
        self._early_commands = []
        self.model.preload(self.query(), rows, sizes, cursor)
        self._update_title()

    def drop_early_commands(self) -> None:
        """The database did not open: forget keys queued for it (and stop queuing)."""
        self._early_commands = None

    def after_first_paint(self, fn: Callable[[], None], fallback_ms: int = 300) -> None:
        """Run ``fn`` once, right after the list's next paint (or ``fallback_ms``)."""
        state = {"done": False}

        def run() -> None:
            if not state["done"]:
                state["done"] = True
                fn()

        self._paint_callbacks.append(run)
        QTimer.singleShot(fallback_ms, run)

    def closeEvent(self, event: Any) -> None:
        task = self.refresh_task
        if task is not None and not task.done() and not self._closing:
            # quitting during a fetch: cancel it, let the writer finish its transaction,
            # close once the task has unwound (or after QUIT_GRACE_MS at the latest)
            self._closing = True
            task.cancel()
            event.ignore()
            self.say("Stopping the fetch…")
            task.add_done_callback(lambda _t: QTimer.singleShot(0, self.close))
            QTimer.singleShot(QUIT_GRACE_MS, self.close)
            return
        self._closing = True
        for helper in (self.scheduler, self.tray):
            if helper is not None:
                helper.stop()
        self.app_actions.stop_sync()
        self._poll_timer.stop()
        if self.live is not None:
            self.live.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.keys)
        super().closeEvent(event)

    def _load_page(
        self, q: ArticleQuery, sort: str, descending: bool, cursor: Any
    ) -> tuple[list[ArticleRow], dict[int, int], Any]:
        from desktop.store import counts

        if sort == "published" and descending:
            rows = self.desk.list_articles(replace(q, after=cursor, limit=PAGE))
            nxt = (rows[-1].published, rows[-1].id) if len(rows) == PAGE else None
        else:
            rows, nxt = self.desk.db.read(
                counts.sorted_page, replace(q, limit=PAGE), sort, descending, cursor
            )
        stories = [r.story_id for r in rows if r.story_id is not None]
        sizes = self.desk.db.read(counts.story_sizes, stories) if stories else {}
        return rows, sizes, nxt

    def _load_story(self, story_id: int) -> list[ArticleRow]:
        from desktop.store import counts

        return self.desk.db.read(counts.story_rows, story_id)

    # -- state -----------------------------------------------------------------
    def query(self) -> ArticleQuery:
        """The current view and filters."""
        shown: tuple[str, ...] = ()
        if self.app_settings is not None:
            shown = tuple(self.app_settings["languages_shown"])
        return ArticleQuery(
            view=self.view,
            language=self.language,
            languages=shown,
            topic=self.topic,
            source_ids=self.source_ids,
            folder=self.folder,
            search=self.search_text or None,
            limit=PAGE,
        )

    def _show_user(self, user: str | None) -> None:
        """Who the window triages as (per-person read/flag state): a status bar label."""
        if not user:
            return
        if self.user_label is None:
            self.user_label = QLabel()
            self.user_label.setObjectName("user_label")
            self.statusBar().addPermanentWidget(self.user_label)
        self.user_label.setText(f"👤 {user}")
        self.user_label.setToolTip(f"Read, flagged and archived are {user}'s own")

    def _update_title(self) -> None:
        parts = [VIEW_TITLES[self.view]]
        if self.folder:
            parts.append(f"folder {self.folder}")
        if self.source_ids:
            parts.append(self.source_title or f"source {self.source_ids[0]}")
        if self.language:
            parts.append(language_name(self.language))
        if self.topic:
            parts.append(f"topic {self.topic}")
        if self.search_text:
            parts.append(f"“{self.search_text}”")
        self.setWindowTitle("Newsdesk — " + " · ".join(parts))
        self._show_sidebar_current()

    def _show_sidebar_current(self) -> None:
        self.sidebar.show_current("view", self.view)
        if self.source_ids:
            self.sidebar.show_current("source", self.source_ids[0])
        elif self.folder:
            self.sidebar.show_current("folder", self.folder)

    def reload(self, keep: int | None = None) -> None:
        """Load the current query from the top (filters or view changed)."""
        self._update_title()
        if self.desk is None:
            return
        self._after_page.clear()
        # the view's count (a full count under a search) waits for the first page:
        # on two cores it would compete with the page's own query
        self._after_page.append(self.refresh_view_count)
        self.model.set_query(self.query())
        self.reader.show_empty()
        self._keep_after_load = keep

    def _page_loaded(self, added: int) -> None:
        if not self.current_index().isValid() and self.model.rowCount():
            keep = getattr(self, "_keep_after_load", None)
            index = self.model.row_of(keep) if keep else QModelIndex()
            self.set_current(index if index.isValid() else self.model.index(0, 0), False)
        callbacks, self._after_page = self._after_page, []
        for fn in callbacks:
            fn()

    def refresh_counts(self) -> None:
        """Re-read the sidebar counts (off the UI thread)."""
        if self.desk is None:
            return
        self.refresh_view_count()
        if self._counts_busy:  # one read in flight at a time; the last request is not lost
            self._counts_again = True
            return
        from desktop.store import counts
        from desktop.ui.sidebar import sidebar_entries

        self._counts_busy = True
        desk = self.desk
        languages = frozenset(self.sidebar.languages_shown)

        def work() -> Any:  # formatting 2,000 sources happens here, not on the UI thread
            return sidebar_entries(desk.db.read(counts.sidebar_counts), languages)

        self.tasks.read(work, done=self._show_counts, error=self._counts_failed)

    def _counts_failed(self, exc: Any) -> None:
        self._counts_busy = False
        self.report_problem(exc)

    def refresh_view_count(self) -> None:
        """Re-read how many articles the current view holds."""
        if self.desk is None:
            return
        from desktop.store.queries import count_articles

        q = self.query()
        self.tasks.read(
            self.desk.db.read,
            count_articles,
            q,
            done=lambda n: self._show_view_count(q, n),
        )

    def _show_view_count(self, q: ArticleQuery, n: int) -> None:
        if q == self.query():
            self.count_label.setText(f"{n} in view")
            self._view_count = n

    def _show_counts(self, entries: Any) -> None:
        self._counts_busy = False
        if self._counts_again:  # changed meanwhile: read again, show the newest only
            self._counts_again = False
            self.refresh_counts()
        counts = entries.counts
        self.counts = counts
        self.sidebar.update_counts(entries)
        self._update_title()
        unread = counts.views.get("inbox", 0)
        self.show_welcome(not counts.sources)
        if self.tray is not None:
            self.tray.set_unread(unread)
        self.sidebar.setToolTip(f"{unread} unread in the Inbox")
        errors = [s for s in counts.sources if s["last_error"]]
        if errors and not self.last_problem:
            s = errors[0]
            self.status_text.setText(f"⚠ {s['title'] or s['url']}: {s['last_error']}")

    def report_problem(self, exc: Any) -> None:
        """Show a problem in the status bar (the last one stays until another message);
        a storage failure (full disk...) in words, not as a driver's message."""
        log.warning("problem: %s", exc)
        if isinstance(exc, BaseException):
            from desktop.store.errors import describe

            exc = describe(exc)
        self.last_problem = str(exc)
        self.status_text.setText(f"⚠ {exc}")

    def say(self, text: str) -> None:
        """A short status message."""
        self.status_text.setText(text)

    # -- issue 5: first run, settings, key map, background ------------------------
    @property
    def welcome(self) -> Any:
        """The first-run page (a ``WelcomePage``; made at first use)."""
        if self._welcome is None:
            from desktop.ui.welcome import WelcomePage

            self._welcome = WelcomePage(self.stack)
            self.stack.addWidget(self._welcome)
            self._welcome.chosen.connect(self.run_command)
        return self._welcome

    def show_welcome(self, on: bool) -> None:
        """The welcome page instead of the list (no sources yet), or the list again."""
        if not on and self._welcome is None:
            return  # never shown: the list is the current page
        page = self.welcome if on else self.stack.widget(0)
        if self.stack.currentWidget() is not page:
            self.stack.setCurrentWidget(page)
            if not on:
                self.welcome.status.setText("")
                self.list.setFocus()

    def use_settings(self, settings: Any) -> None:
        """Follow a ``config.settings.Settings``: apply it now and on every change."""
        self.app_settings = settings
        settings.subscribe(self.apply_settings)
        # the reading settings came in through WindowSettings (same file, or the caller's)
        names = set(settings.values()) - {"mark_read_on_open", "mark_read_delay"}
        if settings["theme"] == "system" and not settings["font_size"]:
            names -= {"theme", "font_size"}  # make_application already set the defaults
        self.apply_settings(names)

    def apply_settings(self, names: set[str]) -> None:
        """Apply changed settings live (reading, sidebar languages, appearance)."""
        s = self.app_settings
        if names & {"mark_read_on_open", "mark_read_delay"}:
            self.settings = replace(
                self.settings,
                mark_read_on_open=s["mark_read_on_open"],
                mark_read_delay=float(s["mark_read_delay"]),
            )
        if "languages_shown" in names:
            self.sidebar.languages_shown = set(s["languages_shown"])
            if self.counts is not None:
                self.sidebar.update_counts(self.counts)
            if self.model.query.languages != tuple(s["languages_shown"]):
                self.reload()
        if names & {"theme", "font_size"}:
            from desktop.ui.appearance import apply_appearance

            apply_appearance(s["theme"], int(s["font_size"]))
            if self._reader is not None:  # (a pane built later starts in the new theme)
                self._reader.restyle()  # the pane's own HTML carries the theme's colours

    def apply_keymap(self, keys: dict[str, tuple[str, ...]]) -> None:
        """Use new key bindings now: dispatcher, menus, palette and help follow."""
        self.registry.rebind({cid: list(k) for cid, k in keys.items()})
        self.keys.rebuild(self.registry)
        for c in self.registry:
            action = self.actions_by_id.get(c.id)
            if action is not None:
                action.setText(c.title + (f"\t{display_keys(c.keys[:1])}" if c.keys else ""))

    def start_background(self, check_ms: int | None = None, semantic_ms: int | None = -1) -> None:
        """Scheduled refresh, retention, tray icon, notifications and the semantic topic
        layer (needs ``use_settings``). ``semantic_ms``: delay of the first semantic
        batch (-1: the default; None: no semantic layer)."""
        from desktop.ui.background import CHECK_MS, SEMANTIC_START_MS, Scheduler, Tray

        if self.app_settings is None or self.scheduler is not None:
            return
        self.tray = Tray(self, self.app_settings)
        self.scheduler = Scheduler(
            self,
            self.app_settings,
            check_ms or CHECK_MS,
            SEMANTIC_START_MS if semantic_ms == -1 else semantic_ms,
        )
        self.scheduler.start()
        if self.counts is not None:
            self.tray.set_unread(self.counts.views.get("inbox", 0))

    # -- current row -----------------------------------------------------------
    def current_index(self) -> QModelIndex:
        """The current row (column 0), invalid when none."""
        index = self.list.currentIndex()
        return index.siblingAtColumn(0) if index.isValid() else QModelIndex()

    def current_row(self) -> ArticleRow | None:
        """The article under the cursor."""
        item = self.model.item(self.current_index())
        return item.row if item else None

    def set_current(self, index: QModelIndex, auto_read: bool = True) -> None:
        """Move the cursor (and the selection) to ``index``; ``auto_read`` False keeps
        the mark-read-on-open setting from firing (start-up, undo, reloads)."""
        if not index.isValid():
            return
        from desktop.ui.qt import QItemSelectionModel

        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        self._auto_read = auto_read
        try:
            self.list.selectionModel().setCurrentIndex(index, flags)
        finally:
            self._auto_read = True
        self.list.scrollTo(index)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._read_timer.stop()
        item = self.model.item(current.siblingAtColumn(0)) if current.isValid() else None
        if item is None:
            self.reader.show_empty()
            return
        self.open_article(item.row.id, explicit=False, auto_read=self._auto_read)

    def open_article(self, article_id: int, explicit: bool, auto_read: bool = True) -> None:
        """Show an article in the pane; mark it read per the setting."""
        if self.desk is None:
            return
        self._want_detail = article_id
        desk = self.desk

        def load() -> Any:
            if self._want_detail != article_id:  # the cursor moved on: skip the read
                return None
            return desk.article(article_id)

        self.tasks.read(load, done=self._show_detail)
        row = self.current_row()
        if row is None or row.id != article_id or row.read or not auto_read:
            return
        mode = self.settings.mark_read_on_open
        if mode == "now":
            self._mark_current_read()
        elif mode == "delay":
            self._read_timer.start(int(self.settings.mark_read_delay * 1000))
        elif explicit and mode != "never":
            self._mark_current_read()

    def _show_detail(self, detail: dict[str, Any] | None) -> None:
        row = self.current_row()
        if detail is None or row is None or detail["id"] != row.id:
            return
        self.reader.show_article(detail)

    def _mark_current_read(self) -> None:
        row = self.current_row()
        if row is not None and not row.read:
            self.act([row.id], "read", move=False)

    # -- commands --------------------------------------------------------------
    def _command_table(self) -> dict[str, Callable[[], Any]]:
        table: dict[str, Callable[[], Any]] = {
            "nav.next": lambda: self.move(1),
            "nav.previous": lambda: self.move(-1),
            "nav.space": self.space,
            "nav.next_unread": self.next_unread,
            "nav.first": lambda: self.set_current(self.model.index(0, 0)),
            "nav.last": lambda: self.set_current(self.model.index(self.model.rowCount() - 1, 0)),
            "article.open": self.open_current,
            "article.open_original": self.open_original,
            "story.expand": self.expand_story,
            "story.collapse": self.collapse_story,
            "triage.toggle_read": lambda: self.toggle("read", "read", "unread"),
            "triage.toggle_flag": lambda: self.toggle("flagged", "flag", "unflag"),
            "triage.archive": lambda: self.triage("archive"),
            "triage.unarchive": lambda: self.triage("unarchive"),
            "triage.mark_view_read": self.mark_view_read,
            "triage.select": self.toggle_select,
            "triage.clear_selection": self.model.clear_marked,
            "triage.undo": lambda: self.undo(redo=False),
            "triage.redo": lambda: self.undo(redo=True),
            "triage.edit_topics": self.edit_topics,
            "source.refresh": self.refresh_current_source,
            "source.refresh_all": self.refresh_all,
            "filter.search": self.focus_search,
            "filter.language": self.pick_language,
            "filter.topic": self.pick_topic,
            "filter.clear": self.clear_filters,
            "filter.save_search": self.save_search,
            "app.palette": self.show_palette,
            "app.help": self.show_help,
            "app.focus_sidebar": self.sidebar.setFocus,
            "app.focus_list": self.list.setFocus,
            "app.quit": self.close,
        }
        for cid, view in VIEW_COMMANDS.items():
            table[cid] = lambda view=view: self.set_view(view)
        table.update(self.app_actions.handlers())
        return table

    def run_command(self, command_id: str) -> None:
        """Run a command by id (keys, menus and the palette all come here).

        Background jobs the command starts wait until the list has repainted
        (or ``RELEASE_FALLBACK_MS``), so a keystroke's repaint never competes
        with worker threads for the GIL.
        """
        log.debug("command %s", command_id)
        self.tasks.note_activity()
        if self._early_commands is not None and not command_id.startswith(EARLY_SAFE):
            self._early_commands.append(command_id)
            return
        if not self._deferring:
            self._deferring = True
            self.tasks.hold()
            self._release_timer.start()
        self._handlers[command_id]()

    def _list_painted(self) -> None:
        if self._deferring:
            QTimer.singleShot(0, self._release_jobs)
        if self._paint_callbacks:
            callbacks, self._paint_callbacks = self._paint_callbacks, []
            for fn in callbacks:
                QTimer.singleShot(0, fn)

    def _release_jobs(self) -> None:
        if not self._deferring:
            return
        self._deferring = False
        self._release_timer.stop()
        self._remove_pending()
        self.tasks.release()

    def _remove_pending(self) -> None:
        ids, self._pending_removal = self._pending_removal, set()
        if ids:
            self.model.remove_ids(ids)

    def _build_menus(self) -> None:
        """The menu bar's titles; their entries come with :meth:`finish_setup`."""
        bar = self.menuBar()
        self._menus = {c: bar.addMenu(f"&{c}") for c in self.registry.categories()}
        self.actions_by_id: dict[str, QAction] = {}

    def _fill_menus(self) -> None:
        """One menu entry per command that has one (after the first paint: ~100 actions)."""
        from desktop.ui.qt import QAction

        for c in self.registry:
            if not c.menu or c.id in self.actions_by_id:
                continue
            text = c.title + (f"\t{display_keys(c.keys[:1])}" if c.keys else "")
            action = QAction(text, self)
            action.setToolTip(c.description or c.title)
            action.triggered.connect(lambda _=False, cid=c.id: self.run_command(cid))
            self._menus[c.category].addAction(action)
            self.actions_by_id[c.id] = action

    # navigation
    def move(self, step: int) -> None:
        """Next (1) or previous (-1) row, loading the next page when at the end."""
        index = self.current_index()
        if not index.isValid():
            self.set_current(self.model.index(0, 0))
            return
        target = self.list.indexBelow(index) if step > 0 else self.list.indexAbove(index)
        if target.isValid():
            self.set_current(target)
        elif step > 0 and self.model.canFetchMore(QModelIndex()):
            self._after_page.append(lambda: self.move(1))
            self.model.fetchMore(QModelIndex())

    def space(self) -> None:
        """Scroll the pane; at its end go to the next unread article."""
        if not self.reader.scroll_page():
            self.next_unread()

    def next_unread(self) -> None:
        """The next unread row below the cursor (loading pages as needed)."""
        index = self.current_index()
        probe = self.list.indexBelow(index) if index.isValid() else self.model.index(0, 0)
        while probe.isValid():
            item = self.model.item(probe)
            if item is not None and not item.row.read:
                self.set_current(probe)
                return
            probe = self.list.indexBelow(probe)
        if self.model.canFetchMore(QModelIndex()):
            self._after_page.append(self.next_unread)
            self.model.fetchMore(QModelIndex())
        else:
            self.say("No more unread articles here")

    def open_current(self) -> None:
        """Show the current article in the pane (marking it read unless the setting says never)."""
        row = self.current_row()
        if row is not None:
            self.open_article(row.id, explicit=True)

    def _open_link(self, url: QUrl) -> None:
        self.opened_urls.append(url.toString())
        self._open_url(url)

    def open_original(self) -> None:
        """Open the article's own page in the system browser."""
        row = self.current_row()
        if row is None or not row.url:
            self.say("This article has no link")
            return
        from desktop.ui.qt import QUrl

        self._open_link(QUrl(row.url))

    def expand_story(self) -> None:
        """Show the copies of a folded story."""
        index = self.current_index()
        if index.isValid() and self.model.hasChildren(index):
            self.list.expand(index)

    def collapse_story(self) -> None:
        """Fold a story again (from a copy, go back to its head)."""
        index = self.current_index()
        if not index.isValid():
            return
        parent = index.parent()
        if parent.isValid():
            self.set_current(parent)
            index = parent
        self.list.collapse(index)

    # triage
    def targets(self) -> list[int]:
        """What a triage key acts on: the x-selection, else the current row."""
        if self.model.marked:
            return sorted(self.model.marked)
        row = self.current_row()
        return [row.id] if row else []

    def _story_ids(self, ids: list[int]) -> list[int]:
        """Loaded rows of the same stories (for the optimistic update)."""
        stories = set()
        for i in ids:
            index = self.model.row_of(i)
            item = self.model.item(index)
            if item is not None and item.row.story_id is not None:
                stories.add(item.row.story_id)
        out = set(ids) | self.model.story_member_ids(stories)
        return sorted(out)

    def toggle(self, field: str, on: str, off: str) -> None:
        """Toggle read or flagged; on a selection, set all when any is off."""
        ids = self.targets()
        if not ids:
            return
        rows = [self.model.item(self.model.row_of(i)) for i in ids]
        values = [getattr(it.row, field) for it in rows if it is not None]
        action = on if not all(values) else off
        self.act(ids, action, move=False, bulk=bool(self.model.marked))

    def triage(self, action: str) -> None:
        """Archive / unarchive, then move on."""
        ids = self.targets()
        if ids:
            self.act(ids, action, move=True, bulk=bool(self.model.marked))

    def act(self, ids: list[int], action: str, *, move: bool, bulk: bool = False) -> None:
        """Apply a triage action: update the rows now, write it in the background,
        reconcile with what the backend says changed; the cursor lands on the next row."""
        if self.desk is None or not ids:
            return
        field, value = STATE_FIELDS[action]
        affected = self._story_ids(ids)
        current = self.current_index()
        current_id = self.current_row().id if self.current_row() else None
        leaving: list[int] = []
        if field == "archived":
            sample = self.model.item(self.model.row_of(ids[0]))
            if sample is not None and not visible_in(
                self.view, sample.row.read, sample.row.flagged, value
            ):
                leaving = affected
        next_id = None
        gone = set(leaving) | self._pending_removal
        if move and current.isValid():
            probe = self.list.indexBelow(current)
            while probe.isValid():
                item = self.model.item(probe)
                if item is not None and item.row.id not in gone:
                    next_id = item.row.id
                    break
                probe = self.list.indexBelow(probe)
            if next_id is None:
                probe = self.list.indexAbove(current)
                while probe.isValid():
                    item = self.model.item(probe)
                    if item is not None and item.row.id not in gone:
                        next_id = item.row.id
                        break
                    probe = self.list.indexAbove(probe)
        elif current_id is not None and current_id not in gone:
            next_id = current_id
        self.model.set_state(affected, field, value)
        if bulk:
            self.model.clear_marked()
        if next_id is not None:
            index = self.model.row_of(next_id)
            if index.isValid() and (index != self.current_index() or leaving):
                self.set_current(index)
        if leaving:
            # The rows leave right after the list has repainted the new cursor (a removal
            # re-lays out every loaded row): the keystroke's frame stays cheap.
            self._pending_removal.update(leaving)
            if not self._deferring:
                self._remove_pending()
        if leaving and next_id is None:
            self.reader.show_empty()
        self._writes += 1
        self.tasks.write(
            self.desk.mark,
            ids,
            action,
            done=lambda ch: self._written(ch, ids),
            error=lambda exc: self._write_failed(exc),
        )

    def _written(self, changes: Any, ids: list[int], select: bool = False) -> None:
        self._writes -= 1
        if changes is None:
            return
        changed = set(changes.article_ids)
        self.reconcile(changed | set(ids), select_changed=select)
        if changes.description and select:
            self.say(changes.description)

    def _write_failed(self, exc: Any) -> None:
        self._writes -= 1
        self.report_problem(exc)
        self.reconcile(set(self.model.loaded_ids()))

    def reconcile(self, ids: set[int], select_changed: bool = False) -> None:
        """Re-read ``ids`` and update, insert or drop their rows in place; then counts."""
        if self.desk is None:
            return
        from desktop.store import counts

        loaded = set(self.model.loaded_ids())
        wanted = ids & loaded
        others = ids - loaded
        if len(others) <= 1000:
            wanted |= others
        q = self.query()
        sticky = replace(q, view=STICKY_VIEW.get(q.view, q.view))
        self.tasks.read(
            self.desk.db.read,
            counts.fresh_rows,
            q,
            sticky,
            sorted(wanted),
            False,
            done=lambda fresh: self._apply_fresh(q, fresh, ids if select_changed else None),
        )
        self.refresh_counts()

    def _apply_fresh(self, q: ArticleQuery, fresh: Any, select: set[int] | None) -> None:
        if q != self.query():
            return
        current = self.current_row()
        current_id = current.id if current else None
        position = self.current_index().row()
        self.model.apply_rows(fresh.rows, fresh.matching, fresh.sticky, fresh.sizes)
        if select:
            for index, it in self.model.items():
                if it.row.id in select:
                    self.set_current(index, False)
                    return
        if current_id is not None:
            index = self.model.row_of(current_id)
            if index.isValid():
                if index != self.current_index():
                    self.set_current(index, False)
                return
        if self.model.rowCount():
            row = min(max(position, 0), self.model.rowCount() - 1)
            self.set_current(self.model.index(row, 0), False)
        else:
            self.reader.show_empty()

    def toggle_select(self) -> None:
        """x: add the current row to the selection (or take it out)."""
        row = self.current_row()
        if row is not None:
            self.model.toggle_marked(row.id)
            n = len(self.model.marked)
            self.say(f"{n} selected" if n else "Selection cleared")

    def mark_view_read(self) -> None:
        """Mark every article of the view read (loaded or not), as one undoable action."""
        if self.desk is None:
            return
        from desktop.store import counts

        q = self.query()
        self.model.set_state_all("read", True)
        desk = self.desk

        def work() -> Any:
            ids = desk.db.read(counts.view_ids, q)
            return desk.mark(ids, "read", whole_story=False) if ids else None

        self._writes += 1
        self.say("Marking the view read…")
        self.tasks.write(
            work,
            done=lambda ch: (
                self._written(ch, []),
                self.say(f"Marked {len(ch.article_ids) if ch else 0} read (u undoes)"),
            ),
            error=self._write_failed,
        )

    def undo(self, redo: bool) -> None:
        """Undo (or redo) the last triage action, then select what it touched."""
        if self.desk is None:
            return
        self._writes += 1
        fn = self.desk.redo if redo else self.desk.undo
        word = "redo" if redo else "undo"

        def done(changes: Any) -> None:
            if changes is None:
                self._writes -= 1
                self.say(f"Nothing to {word}")
                return
            self._written(changes, [], select=True)
            self.say(f"{word.capitalize()}: {changes.description or 'done'}")

        self.tasks.write(fn, done=done, error=self._write_failed)

    def edit_topics(self) -> None:
        """t: add or remove the article's topics (each change is a user tag)."""
        row = self.current_row()
        if row is None or self.desk is None:
            return
        from desktop.ui.dialogs.topics import TopicsDialog
        from desktop.ui.qt import QDialog

        dialog = TopicsDialog(row.topics, self)
        self._dialog = dialog
        before = list(row.topics)
        article_id = row.id

        def finished(result: int) -> None:
            self._dialog_closed()
            if result != QDialog.DialogCode.Accepted:
                return
            after = dialog.topics()
            added = [t for t in after if t not in before]
            removed = [t for t in before if t not in after]
            if not added and not removed:
                return
            desk = self.desk

            def work() -> Any:
                changes = None
                for tag in added:
                    ch = desk.tag([article_id], tag, True)
                    changes = ch if changes is None else changes.merge(ch)
                for tag in removed:
                    ch = desk.tag([article_id], tag, False)
                    changes = ch if changes is None else changes.merge(ch)
                return changes

            def written(changes: Any) -> None:
                self._written(changes, [article_id])
                # the correction is a label: let the user's topic model learn from it
                self.tasks.read(desk.learn_from_labels, error=self.report_problem)

            self._writes += 1
            self.tasks.write(work, done=written, error=self._write_failed)
            self.say(f"Topics: {', '.join(after) or 'none'}")

        dialog.finished.connect(finished)
        dialog.open()

    # refresh
    def refresh_current_source(self) -> None:
        """r: fetch the current article's source (or the source filter)."""
        row = self.current_row()
        ids = list(self.source_ids) or ([row.source_id] if row else [])
        if ids:
            self.refresh(ids)
        else:
            self.say("No source to refresh here (Shift+R refreshes all)")

    def refresh_all(self) -> None:
        """Shift+R: fetch every enabled source."""
        if self.desk is None:
            return
        self.tasks.read(lambda: self.desk.due_sources(include_all=True), done=self.refresh)

    def refresh(self, source_ids: list[int]) -> Any:
        """Fetch sources on the asyncio loop, progress in the status bar, then enrich."""
        if self.desk is None or self.refreshing or not source_ids:
            return None
        self.refreshing = True
        self.progress.setRange(0, len(source_ids))
        self.progress.setValue(0)
        self.progress.setFormat(f"Fetching %v/{len(source_ids)}")
        self.progress.show()
        self.say(f"Fetching {len(source_ids)} source(s)…")

        def progress(done: int, total: int, outcome: Any) -> None:
            self.progress.setMaximum(total)
            self.progress.setValue(done)
            if getattr(outcome, "error", None):
                self.report_problem(f"{outcome.title}: {outcome.error}")

        async def job() -> Any:
            minutes = None
            if self.app_settings is not None:
                minutes = int(self.app_settings["refresh_minutes"])
            report = await self.desk.refresh(
                source_ids,
                progress=progress,
                pool=self.settings.refresh_pool,
                default_minutes=minutes,
            )
            return report

        def finished(report: Any) -> None:
            self.last_report = report
            self.progress.hide()
            if getattr(report, "problem", None):
                self.report_problem(f"Fetch stopped: {report.problem}")
                self._enriched(None)  # nothing more can be stored now
                return
            self.say(report.summary() if hasattr(report, "summary") else "Fetched")
            self.tasks.read(
                self.desk.enrich_pending, done=self._enriched, error=self._enriched_failed
            )

        def failed(exc: Any) -> None:
            self.refreshing = False
            self.progress.hide()
            self.report_problem(exc)

        self.refresh_task = self.tasks.spawn(job(), done=finished, error=failed)
        return self.refresh_task

    def _enriched(self, _result: Any) -> None:
        self.refreshing = False
        self.reload_loaded()
        self.refresh_counts()
        self.app_actions.after_refresh(self.last_report)
        if self.scheduler is not None:
            self.scheduler.after_refresh()

    def _enriched_failed(self, exc: Any) -> None:
        from desktop.store.errors import describe

        self.refreshing = False
        self.report_problem(f"enrichment: {describe(exc)}")
        self.reload_loaded()
        self.refresh_counts()
        self.app_actions.after_refresh(self.last_report)

    # external changes
    def _poll(self) -> None:
        if self._probe is None or self._polling:
            return
        self._polling = True

        def done(changed: bool) -> None:
            self._polling = False
            if changed and not self._writes:
                self.reload_loaded()
                self.refresh_counts()

        def failed(exc: Any) -> None:
            self._polling = False
            log.debug("poll failed: %s", exc)

        # The probe waits its turn on the database writer (maybe behind a refresh's
        # batch): the action thread waits for it, the read threads stay free.
        self.tasks.write(self._probe, done=done, error=failed)

    @property
    def pending_writes(self) -> int:
        """The window's own triage writes not yet confirmed by the backend."""
        return self._writes

    def apply_remote(self, changed: set[int], gone: set[int], reload: bool) -> None:
        """Other clients changed articles (``gone``: deleted ones): update those rows in
        place, insert new matching ones, drop deleted ones; reread everything loaded
        when the ids are unknown (``reload``) or too many."""
        if self.desk is None:
            return
        if gone:
            self.model.remove_ids(gone & set(self.model.loaded_ids()))
        if reload or len(changed) > REMOTE_IDS_MAX:
            self.reload_loaded()
            self.refresh_counts()
        else:
            self.reconcile(changed)
        row = self.current_row()
        if row is not None and (reload or row.id in changed):
            # the open article changed elsewhere ("Flagged by bob", new tags): show it again
            self.open_article(row.id, explicit=False, auto_read=False)

    def reload_loaded(self) -> None:
        """Another process (or a refresh) changed the database: update loaded rows in
        place, insert new ones at the top, keep the cursor."""
        if self.desk is None:
            return
        from desktop.store import counts

        q = self.query()
        sticky = replace(q, view=STICKY_VIEW.get(q.view, q.view))
        ids = self.model.loaded_ids()
        self.tasks.read(
            self.desk.db.read,
            counts.fresh_rows,
            q,
            sticky,
            ids,
            self.model.default_order,
            done=lambda fresh: self._apply_fresh(q, fresh, None),
        )
        self.refresh_view_count()

    # filters and views
    def set_view(self, view: str) -> None:
        """Show another view (filters stay)."""
        self.view = view
        self.reload()

    def _sidebar_picked(self, kind: str, value: Any) -> None:
        if kind == "view":
            self.view = value
        elif kind == "source":
            self.source_ids = (int(value),)
            self.folder = None
            item = self.sidebar.item_for("source", value)
            self.source_title = item.text(0).lstrip("⚠ ") if item else ""
        elif kind == "folder":
            self.folder = value
            self.source_ids = ()
        elif kind == "language":
            self.language = value
        elif kind == "topic":
            self.topic = value
        elif kind == "search":
            self.apply_saved_search(self.saved_query(value) or "")
            return
        self.reload()
        self.list.setFocus()

    # saved searches
    def current_filter(self) -> Any:
        """The search text and filters in force, as a ``SavedFilter``."""
        from desktop.triage.searches import SavedFilter

        return SavedFilter(
            search=self.search_text,
            view=self.view if self.view != "inbox" else None,
            language=self.language,
            topic=self.topic,
            source_ids=tuple(self.source_ids),
            folder=self.folder,
        )

    def saved_query(self, name: str) -> str | None:
        """The query of the saved search called ``name`` (from the last counts)."""
        for saved_name, query in self.counts.saved_searches if self.counts else ():
            if saved_name == name:
                return query
        return None

    def apply_saved_search(self, query: str) -> None:
        """Show a saved search: its text alone keeps the view and filters (the form
        earlier releases saved); a saved filter replaces them all."""
        from desktop.triage.searches import SavedFilter

        f = SavedFilter.decode(query)
        if f == SavedFilter(search=f.search):
            self.search_text = f.search
        else:
            self.view = f.view or "inbox"
            self.language, self.topic, self.folder = f.language, f.topic, f.folder
            self.source_ids = f.source_ids
            self.source_title = ""
            if f.source_ids:
                item = self.sidebar.item_for("source", f.source_ids[0])
                self.source_title = item.text(0).lstrip("⚠ ") if item else ""
            self.search_text = f.search
        self.search.setText(self.search_text)
        self.reload()
        self.list.setFocus()

    def save_search(self) -> Any:
        """Ctrl+S: name the current search and filters and keep them in the sidebar."""
        from desktop.triage.searches import describe_saved

        if self.search.text().strip() != self.search_text:  # typed, not yet applied
            self._search_timer.stop()
            self._apply_search()
        f = self.current_filter()
        if self.desk is None:
            return None
        if f.empty:
            self.say("Nothing to save: type a search (/) or pick a filter first")
            return None
        query = f.encode()
        from desktop.ui.qt import QInputDialog

        dialog = QInputDialog(self)
        dialog.setObjectName("saveSearch")
        dialog.setWindowTitle("Save search")
        dialog.setLabelText(f"Name for {describe_saved(query)}:")
        dialog.setTextValue(f.search or describe_saved(query))
        self._dialog = dialog
        desk = self.desk

        def chosen(text: str) -> None:
            name = text.strip()
            if not name:
                return
            self._writes += 1
            self.tasks.write(
                desk.save_search,
                name,
                query,
                done=lambda ch: (
                    self._written(ch, []),
                    self.say(f"Saved search “{name}” (u undoes)"),
                ),
                error=self._write_failed,
            )

        dialog.textValueSelected.connect(chosen)
        dialog.finished.connect(lambda _r: self._dialog_closed())
        dialog.open()
        return dialog

    def rename_saved_search(self, name: str) -> Any:
        """Rename a saved search (its sidebar menu)."""
        if self.desk is None:
            return None
        from desktop.ui.qt import QInputDialog

        dialog = QInputDialog(self)
        dialog.setObjectName("renameSearch")
        dialog.setWindowTitle("Rename saved search")
        dialog.setLabelText("New name:")
        dialog.setTextValue(name)
        self._dialog = dialog
        desk = self.desk

        def chosen(text: str) -> None:
            new = text.strip()
            if not new or new == name:
                return
            self._writes += 1
            self.tasks.write(
                desk.rename_search,
                name,
                new,
                done=lambda ch: (self._written(ch, []), self.say(f"Renamed to “{new}”")),
                error=self._write_failed,
            )

        dialog.textValueSelected.connect(chosen)
        dialog.finished.connect(lambda _r: self._dialog_closed())
        dialog.open()
        return dialog

    def delete_saved_search(self, name: str) -> None:
        """Delete a saved search (its sidebar menu); u brings it back."""
        if self.desk is None:
            return
        self._writes += 1
        self.tasks.write(
            self.desk.delete_search,
            name,
            done=lambda ch: (
                self._written(ch, []),
                self.say(f"Deleted saved search “{name}” (u undoes)"),
            ),
            error=self._write_failed,
        )

    def clear_filters(self) -> None:
        """Esc: drop source, folder, language, topic and search filters (and the selection)."""
        self.model.clear_marked()
        if not (self.source_ids or self.folder or self.language or self.topic or self.search_text):
            return
        keep = self.current_row().id if self.current_row() else None
        self.source_ids, self.folder, self.language, self.topic = (), None, None, None
        self.source_title = ""
        self.search_text = ""
        self.search.clear()
        self.reload(keep=keep)

    def focus_search(self) -> None:
        """/: type a full-text search."""
        self.search.setFocus()
        self.search.selectAll()

    def _apply_search(self) -> None:
        text = self.search.text().strip()
        if text != self.search_text:
            self.search_text = text
            self.reload()

    def _leave_search(self, clear: bool) -> None:
        if clear:
            self.search.clear()
        self._search_timer.stop()
        self._apply_search()
        self.restore_focus()

    def _sort_clicked(self, column: int) -> None:
        sort = SORT_BY_COLUMN.get(column)
        if sort is None:
            self.list.header().setSortIndicator(
                COL_TIME
                if self.model.sort == "published"
                else next(c for c, s in SORT_BY_COLUMN.items() if s == self.model.sort),
                Qt.SortOrder.DescendingOrder
                if self.model.descending
                else Qt.SortOrder.AscendingOrder,
            )
            return
        descending = self.list.header().sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
        self.model.set_query(self.query(), sort, descending)

    def restore_focus(self) -> None:
        """Give the keyboard back to the list (after a dialog or the search box)."""
        self.activateWindow()
        self.list.setFocus(Qt.FocusReason.OtherFocusReason)

    def _dialog_closed(self) -> None:
        self._dialog = None
        self.restore_focus()
        QTimer.singleShot(0, self.restore_focus)

    def _pick(self, title: str, choices: list[Any], apply: Callable[[Any], None]) -> None:
        from desktop.ui.palette import Picker

        picker = Picker(title, choices, self)
        self._dialog = picker
        picker.chosen.connect(apply)
        picker.finished.connect(lambda _r: self._dialog_closed())
        picker.open()
        picker.search.setFocus()

    def pick_language(self) -> None:
        """l: choose a language filter."""
        from desktop.ui.palette import Choice

        langs = self.counts.languages if self.counts else []
        choices = [Choice("All languages", "", None)] + [
            Choice(language_name(code), f"{code} · {n}", code) for code, n in langs
        ]

        def apply(code: Any) -> None:
            self.language = code
            self.reload()

        self._pick("Language", choices, apply)

    def pick_topic(self) -> None:
        """Shift+T: choose a topic filter."""
        from desktop.ui.palette import Choice

        topics = self.counts.topics if self.counts else []
        choices = [Choice("All topics", "", None)] + [Choice(tag, str(n), tag) for tag, n in topics]

        def apply(tag: Any) -> None:
            self.topic = tag
            self.reload()

        self._pick("Topic", choices, apply)

    def show_palette(self) -> None:
        """Ctrl+K: run any command by name or key."""
        from desktop.ui.palette import CommandPalette

        palette = CommandPalette(self.registry, self)
        self._dialog = palette

        def chosen(cid: Any) -> None:
            QTimer.singleShot(0, lambda: self.run_command(cid))

        palette.chosen.connect(chosen)
        palette.finished.connect(lambda _r: self._dialog_closed())
        palette.open()
        palette.search.setFocus()

    def show_help(self) -> None:
        """?: every command and its keys."""
        from desktop.ui.help_overlay import HelpOverlay

        overlay = HelpOverlay(self.registry, self)
        self._dialog = overlay
        overlay.finished.connect(lambda _r: self._dialog_closed())
        overlay.open()
        overlay.text.setFocus()

    def _fetch_image(self, url: str) -> None:
        if url in self._image_requests:
            return
        self._image_requests.add(url)
        self.tasks.read(
            fetch_image_bytes,
            url,
            done=lambda data: self.reader.add_image(url, data) if data else None,
            error=lambda exc: log.debug("image %s: %s", url, exc),
        )

    def _allow_images(self, source_id: int) -> None:
        if self.desk is None:
            return
        from desktop.store import counts

        row = self.current_row()

        def done(_r: Any) -> None:
            self.say("Remote images allowed for this source")
            if row is not None:
                self.open_article(row.id, explicit=False)

        self.tasks.write(self.desk.db.write, counts.set_remote_images, source_id, True, done=done)

"""The window's File, source-management, settings and key-map commands (issue 5).

Every flow opens a real dialog non-modally (``open()``), runs backend work
through the window's :class:`~desktop.ui.tasks.Tasks` (never on the UI
thread) and updates the window from the result. The window keeps the open
dialog in ``window._dialog`` so tests and the keyboard can reach it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desktop.ui.qt import QTimer

log = logging.getLogger(__name__)

AUTO_FULL_TEXT_LIMIT = 20
"""At most this many new articles get their full text fetched after one refresh."""


class AppActions:
    """Handlers for the commands of ``desktop.commands.manage``."""

    def __init__(self, window: Any) -> None:
        self.w = window
        self._sync: Any = None

    @property
    def sync(self) -> Any:
        """Feed-server account syncs (issue 7), off the UI thread (an ``AccountSync``,
        made at first use: not before the window's first paint)."""
        if self._sync is None:
            from desktop.ui.account_sync import AccountSync

            self._sync = AccountSync(self.w)
        return self._sync

    def stop_sync(self) -> None:
        """Cancel a running account sync (nothing when none was ever started)."""
        if self._sync is not None:
            self._sync.stop()

    def handlers(self) -> dict[str, Callable[[], Any]]:
        """Command id → handler (merged into the window's command table)."""
        return {
            "file.add_source": self.add_source,
            "file.import_opml": self.import_opml,
            "file.export_opml": self.export_opml,
            "file.starter_feeds": self.starter_feeds,
            "file.load_samples": self.load_samples,
            "file.purge": self.purge_now,
            "file.accounts": self.accounts_dialog,
            "source.sync_accounts": self.sync_accounts,
            "app.settings": self.settings_dialog,
            "app.keymap": self.keymap_editor,
            "source.properties": lambda: self._with_source(self.properties),
            "source.rename": lambda: self._with_source(self.rename),
            "source.move": lambda: self._with_source(self.move),
            "source.toggle_enabled": lambda: self._with_source(self.toggle_enabled),
            "source.delete": lambda: self._with_source(self.delete),
            "source.retry": lambda: self._with_source(self.retry),
            "article.full_text": self.full_text,
        }

    # -- helpers -------------------------------------------------------------------
    @property
    def desk(self) -> Any:
        return self.w.desk

    def _ready(self) -> bool:
        if self.desk is None:
            self.w.say("Still opening the database…")
            return False
        return True

    def _show(self, dialog: Any, closed: Callable[[int], None] | None = None) -> Any:
        """Open ``dialog`` non-modally as the window's current dialog."""
        self.w._dialog = dialog

        def finished(result: int) -> None:
            if closed is not None:
                closed(result)
            if self.w._dialog is dialog:
                self.w._dialog_closed()

        dialog.finished.connect(finished)
        dialog.open()
        return dialog

    def folders(self) -> list[str]:
        counts = self.w.counts
        return [f for f, _n in counts.folders()] if counts else []

    def subscribed_urls(self) -> set[str]:
        counts = self.w.counts
        return {s["url"] for s in counts.sources} if counts else set()

    def current_source(self) -> int | None:
        """The source in the sidebar filter, else the current article's source."""
        if self.w.source_ids:
            return int(self.w.source_ids[0])
        row = self.w.current_row()
        return row.source_id if row else None

    def _with_source(self, fn: Callable[[int], Any]) -> None:
        sid = self.current_source()
        if sid is None:
            self.w.say("Pick a source in the sidebar (or an article) first")
            return
        if self._ready():
            fn(sid)

    def _source_changed(self, message: str = "") -> None:
        if message:
            self.w.say(message)
        self.w.refresh_counts()
        self.w.reload_loaded()

    # -- adding ----------------------------------------------------------------------
    def add_source(self, url: str = "") -> Any:
        """Add a source: address → feeds found → pick, title, folder → subscribe and fetch."""
        from desktop.ui.dialogs.sources import AddSourceDialog

        if not self._ready():
            return None
        dialog = AddSourceDialog(self.folders(), self.w, url)

        def discover(text: str) -> None:
            self.w.tasks.spawn(
                self.desk.discover_feeds(text), done=dialog.show_choices, error=dialog.show_error
            )

        def closed(result: int) -> None:
            picked = dialog.chosen() if result == dialog.DialogCode.Accepted else None
            if picked is None:
                return
            feed_url, title, folder = picked
            self.w.say(f"Subscribing to {feed_url}…")
            self.w.tasks.spawn(
                self.desk.add_source(feed_url, folder=folder, title=title, discover=False),
                done=lambda new: self._subscribed(
                    [new.id], f"Subscribed to {new.title or new.url}"
                ),
                error=self.w.report_problem,
            )

        dialog.discover_requested.connect(discover)
        return self._show(dialog, closed)

    def _subscribed(self, ids: list[int], message: str) -> None:
        self.w.say(message)
        self.w.refresh_counts()
        if ids:
            self.w.refresh(ids)

    def _pick_outlines(self, outlines: list[Any], title: str, preselect: bool) -> Any:
        from desktop.sources.opml import write_opml
        from desktop.ui.dialogs.sources import OpmlPickDialog

        dialog = OpmlPickDialog(outlines, title, preselect, self.subscribed_urls(), self.w)

        def closed(result: int) -> None:
            chosen = dialog.chosen() if result == dialog.DialogCode.Accepted else []
            if not chosen:
                return
            data = write_opml(chosen).encode("utf-8")

            def done(result: tuple[list[Any], list[str]]) -> None:
                added, skipped = result
                note = f"; skipped {len(skipped)}: {skipped[0]}" if skipped else ""
                self._subscribed([a.id for a in added], f"Subscribed to {len(added)} feed(s){note}")

            self.w.tasks.write(self.desk.import_opml, data, done=done, error=self.w.report_problem)

        return self._show(dialog, closed)

    def import_opml(self, path: str | None = None) -> Any:
        """File → Import OPML: pick a file, then the feeds in it (all ticked)."""
        if not self._ready():
            return None
        if path is not None:
            return self._import_file(path)
        from desktop.ui.qt import QFileDialog  # dialog types load when first used

        dialog = QFileDialog(self.w, "Import OPML", str(Path.home()))
        dialog.setObjectName("opmlOpen")
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters(["OPML files (*.opml *.xml)", "All files (*)"])
        dialog.fileSelected.connect(lambda p: QTimer.singleShot(0, lambda: self._import_file(p)))
        return self._show(dialog)

    def _import_file(self, path: str) -> None:
        from desktop.sources.opml import read_opml

        def parsed(outlines: list[Any]) -> None:
            if not outlines:
                self.w.say(f"No feeds in {path}")
                return
            self._pick_outlines(outlines, f"Import {Path(path).name}", preselect=True)

        self.w.tasks.read(
            lambda: read_opml(Path(path).read_bytes()), done=parsed, error=self.w.report_problem
        )

    def starter_feeds(self) -> Any:
        """Offer the starter list: nothing is ticked, nothing subscribed unless chosen."""
        from desktop.sources.opml import read_opml
        from desktop.sources.samples import starter_opml

        if not self._ready():
            return None
        return self._pick_outlines(
            read_opml(starter_opml()), "Starter feeds (pick the ones you want)", preselect=False
        )

    def export_opml(self, path: str | None = None) -> Any:
        """File → Export OPML: every source with its folder."""
        if not self._ready():
            return None

        def write(target: str) -> None:
            def save() -> int:
                text = self.desk.export_opml()
                Path(target).write_text(text, encoding="utf-8")
                return len(self.desk.sources())

            self.w.tasks.read(
                save,
                done=lambda n: self.w.say(f"Exported {n} source(s) to {target}"),
                error=self.w.report_problem,
            )

        if path is not None:
            write(path)
            return None
        from desktop.ui.qt import QFileDialog  # dialog types load when first used

        dialog = QFileDialog(self.w, "Export OPML", str(Path.home() / "newsdesk.opml"))
        dialog.setObjectName("opmlSave")
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("opml")
        dialog.setNameFilters(["OPML files (*.opml)"])
        dialog.fileSelected.connect(write)
        return self._show(dialog)

    def load_samples(self) -> None:
        """Subscribe to the bundled offline samples and fetch them through the real path."""
        if not self._ready():
            return
        self.w.welcome.status.setText("Loading the sample feeds…")

        def added(ids: list[int]) -> None:
            self._subscribed(ids, f"Loading {len(ids)} sample feeds…")

        self.w.tasks.write(self.desk.add_samples, done=added, error=self.w.report_problem)

    # -- feed-server accounts (issue 7) ------------------------------------------------
    def accounts_dialog(self) -> Any:
        """List, add and remove feed-server accounts; sync now."""
        from desktop.ui.dialogs.accounts import AccountsDialog

        if not self._ready():
            return None
        dialog = AccountsDialog(self.w)

        def load() -> None:
            self.w.tasks.read(
                self.desk.accounts,
                done=dialog.show_accounts,
                error=lambda exc: dialog.show_message(f"Could not list accounts: {exc}"),
            )

        def failed(exc: Any) -> None:
            dialog.busy(False)
            dialog.show_message(str(exc))

        def synced(reports: list[Any]) -> None:
            dialog.busy(False)
            load()
            lines = [r.summary() for r in reports]
            dialog.show_message("\n".join(lines) if lines else "No accounts to sync")

        def sync() -> None:
            dialog.busy(True)
            dialog.show_message("Syncing…")
            if not self.sync.start(synced):
                dialog.show_message("Syncing… (a sync was already running)")

        def add(kind: str, url: str, username: str, password: str) -> None:
            dialog.busy(True)
            dialog.show_message(f"Adding {username} at {url}…")

            def added(account_id: int) -> None:
                load()
                dialog.show_message(f"Added account {account_id}; syncing…")
                sync()

            self.w.tasks.write(
                self.desk.add_account, kind, url, username, password, done=added, error=failed
            )

        def remove(account_id: int) -> None:
            dialog.busy(True)

            def removed(_result: Any) -> None:
                dialog.busy(False)
                dialog.show_message(f"Removed account {account_id} (flagged articles kept)")
                load()
                self._source_changed()

            self.w.tasks.write(self.desk.remove_account, account_id, done=removed, error=failed)

        dialog.add_requested.connect(add)
        dialog.remove_requested.connect(remove)
        dialog.sync_requested.connect(sync)
        load()
        return self._show(dialog)

    def sync_accounts(self) -> None:
        """Sync every feed-server account now (in the background)."""
        if self._ready() and not self.sync.start():
            self.w.say("A sync is already running")

    def purge_now(self) -> None:
        """Apply the retention setting now."""
        settings = self.w.app_settings
        days = int(settings["retention_days"]) if settings is not None else 0
        if days <= 0:
            self.w.say("Retention is off: set 'Purge read and archived articles after' first")
            return
        if not self._ready():
            return

        def done(report: Any) -> None:
            self.w.say(f"Purged {report.purged} article(s) older than {days} days")
            self._source_changed()

        self.w.tasks.write(self.desk.purge_old, days, done=done, error=self.w.report_problem)

    # -- settings and keys -------------------------------------------------------------
    def settings_dialog(self) -> Any:
        """The settings dialog, generated from the declared settings; applied live."""
        from desktop.ui.dialogs.settings import SettingsDialog

        if self.w.app_settings is None:
            self.w.say("Settings are not available in this window")
            return None
        return self._show(
            SettingsDialog(self.w.app_settings, self.w, self.w.tasks.write, self.w.tasks.read)
        )

    def keymap_editor(self) -> Any:
        """Rebind keys; saved to keymap.json and applied at once."""
        from desktop.commands import default_registry
        from desktop.commands.registry import save_keymap
        from desktop.ui.dialogs.settings import KeymapEditor

        editor = KeymapEditor(self.w.registry, default_registry(), self.w)

        def closed(result: int) -> None:
            if result != editor.DialogCode.Accepted:
                return
            overrides = editor.overrides()
            path = self.w.keymap_path
            if path is not None:
                try:
                    save_keymap(path, overrides)
                except OSError as exc:
                    self.w.report_problem(f"key map not saved: {exc}")
                    return
            self.w.apply_keymap(editor.keys)
            self.w.say("Key map saved" if path else "Key map applied")

        return self._show(editor, closed)

    # -- one source ----------------------------------------------------------------------
    def properties(self, source_id: int) -> None:
        """Source properties, status and credentials (read off the UI thread, then shown)."""
        from desktop.sources.credentials import CredentialStore

        desk = self.desk
        self.w.tasks.read(
            lambda: (desk.source_properties(source_id), CredentialStore().available()),
            done=lambda got: self._properties_dialog(*got),
            error=self.w.report_problem,
        )

    def _properties_dialog(self, props: Any, keyring: tuple[bool, str]) -> Any:
        from desktop.ui.dialogs.sources import SourcePropertiesDialog

        settings = self.w.app_settings
        default = int(settings["refresh_minutes"]) if settings is not None else 60
        dialog = SourcePropertiesDialog(props, self.folders(), keyring, default, self.w)
        dialog.retry_requested.connect(self.retry)
        desk = self.desk

        def save() -> None:
            changes = dialog.changes()
            creds = dialog.credentials()

            def work() -> None:
                if creds is not None:  # first: a keyring refusal stores nothing at all
                    desk.set_source_secret(props.id, *creds)
                if changes:
                    desk.update_source(props.id, **changes)

            def done(_r: Any) -> None:
                dialog.accept()
                self._source_changed(f"Saved the properties of {props.title or props.url}")

            self.w.tasks.write(work, done=done, error=dialog.show_error)

        dialog.save_requested.connect(save)
        return self._show(dialog)

    def rename(self, source_id: int) -> Any:
        """Rename a source."""
        title = self._title(source_id)
        from desktop.ui.qt import QInputDialog  # dialog types load when first used

        dialog = QInputDialog(self.w)
        dialog.setObjectName("renameSource")
        dialog.setWindowTitle("Rename source")
        dialog.setLabelText("New title:")
        dialog.setTextValue(title)

        def chosen(text: str) -> None:
            if text.strip() and text.strip() != title:
                self.w.tasks.write(
                    lambda: self.desk.update_source(source_id, title=text.strip()),
                    done=lambda _c: self._source_changed(f"Renamed to {text.strip()}"),
                    error=self.w.report_problem,
                )

        dialog.textValueSelected.connect(chosen)
        return self._show(dialog)

    def move(self, source_id: int, folder: str | None = None) -> Any:
        """Move a source to another folder (asks, unless ``folder`` is given)."""
        if folder is not None:
            self.move_to(source_id, folder)
            return None
        from desktop.ui.qt import QInputDialog  # dialog types load when first used

        dialog = QInputDialog(self.w)
        dialog.setObjectName("moveSource")
        dialog.setWindowTitle("Move source")
        dialog.setLabelText("Folder (empty: no folder):")
        dialog.setComboBoxItems(["", *self.folders()])
        dialog.setComboBoxEditable(True)
        dialog.setTextValue(self._folder(source_id) or "")
        dialog.textValueSelected.connect(lambda text: self.move_to(source_id, text))
        return self._show(dialog)

    def move_to(self, source_id: int, folder: str) -> None:
        target = folder.strip() or None
        if target == self._folder(source_id):
            return
        self.w.tasks.write(
            lambda: self.desk.update_source(source_id, folder=target),
            done=lambda _c: self._source_changed(
                f"Moved to {target}" if target else "Moved out of its folder"
            ),
            error=self.w.report_problem,
        )

    def toggle_enabled(self, source_id: int) -> None:
        """Disable an enabled source, enable a disabled one (due at once)."""
        row = self._row(source_id)
        enabled = not (row["enabled"] if row else True)
        self.w.tasks.write(
            lambda: self.desk.update_source(source_id, enabled=enabled),
            done=lambda _c: self._source_changed(
                f"{'Enabled' if enabled else 'Disabled'} {self._title(source_id)}"
            ),
            error=self.w.report_problem,
        )

    def delete(self, source_id: int) -> None:
        """Ask, then unsubscribe (optionally keeping flagged articles)."""
        from desktop.sources import manage

        desk = self.desk
        self.w.tasks.read(
            lambda: desk.db.read(manage.flagged_count, source_id),
            done=lambda flagged: self._delete_dialog(source_id, flagged),
            error=self.w.report_problem,
        )

    def _delete_dialog(self, source_id: int, flagged: int) -> Any:
        from desktop.ui.dialogs.sources import DeleteSourceDialog

        row = self._row(source_id) or {"article_count": 0}
        dialog = DeleteSourceDialog(self._title(source_id), row["article_count"], flagged, self.w)

        def closed(result: int) -> None:
            if result != dialog.DialogCode.Accepted:
                return
            keep = dialog.keep_flagged()

            def done(changes: Any) -> None:
                if source_id in self.w.source_ids:
                    self.w.source_ids = ()
                    self.w.source_title = ""
                    self.w.reload()
                self._source_changed(f"Deleted the source ({changes.description})")

            self.w.tasks.write(
                lambda: self.desk.delete_source(source_id, keep_flagged=keep),
                done=done,
                error=self.w.report_problem,
            )

        return self._show(dialog, closed)

    def retry(self, source_id: int) -> None:
        """Fetch a (failing) source now."""
        self.w.tasks.write(
            self.desk.retry_source,
            source_id,
            done=lambda _r: self.w.refresh([source_id]),
            error=self.w.report_problem,
        )

    def full_text(self, article_id: int | None = None) -> Any:
        """Fetch the full article of the current row (stored; fetched once)."""
        row = self.w.current_row()
        article_id = article_id or (row.id if row else None)
        if article_id is None or not self._ready():
            return None
        self.w.say("Fetching the full article…")

        def done(result: Any) -> None:
            self.w.say(
                f"Full article: {result.chars} characters"
                if result.fetched
                else "The full article was fetched before"
            )
            current = self.w.current_row()
            if current is not None and current.id == article_id:
                self.w.open_article(article_id, explicit=False, auto_read=False)

        return self.w.tasks.spawn(
            self.desk.fetch_full_article(article_id), done=done, error=self.w.report_problem
        )

    # -- after a refresh ------------------------------------------------------------------
    def after_refresh(self, report: Any) -> None:
        """New articles: notify about rule matches; fetch full texts where asked."""
        new_ids = list(getattr(report, "new_ids", []) or [])
        if not new_ids or self.desk is None:
            return
        desk = self.desk
        tray = self.w.tray
        if tray is not None and self.w.app_settings is not None:
            from desktop.triage.notify import notify_matches, summary

            def alerts() -> list[Any]:
                return desk.db.read(notify_matches, desk.rule_set(), new_ids)

            def show(found: list[Any]) -> None:
                if found:
                    tray.notify(*summary(found))

            self.w.tasks.read(alerts, done=show, error=lambda e: log.warning("notify: %s", e))
        from desktop.sources import fulltext

        def fetch_all(ids: list[int]) -> None:
            if not ids:
                return

            async def run() -> int:
                done = 0
                for i in ids[:AUTO_FULL_TEXT_LIMIT]:
                    try:
                        await desk.fetch_full_article(i)
                        done += 1
                    except Exception as exc:  # one page failing must not stop the others
                        log.info("full article %s: %s", i, exc)
                return done

            self.w.tasks.spawn(run(), done=lambda n: self.w.say(f"Fetched {n} full article(s)"))

        self.w.tasks.read(
            desk.db.read, fulltext.wanted_ids, new_ids, done=fetch_all, error=log.warning
        )

    # -- sidebar -----------------------------------------------------------------------------
    def sidebar_menu(self, kind: str, value: Any, pos: Any) -> Any:
        """The context menu of a source, folder or saved search in the sidebar."""
        if self.desk is None or kind not in ("source", "folder", "search"):
            return None
        from desktop.ui.qt import QMenu  # dialog types load when first used

        menu = QMenu(self.w)
        menu.setObjectName("sidebarMenu")
        if kind == "search":
            name = str(value)
            entries: list[tuple[str, Callable[[], Any]]] = [
                ("Show", lambda: self.w.apply_saved_search(self.w.saved_query(name) or "")),
                ("Rename…", lambda: self.w.rename_saved_search(name)),
                ("Delete", lambda: self.w.delete_saved_search(name)),
            ]
        elif kind == "source":
            sid = int(value)
            row = self._row(sid) or {}
            entries = [
                ("Refresh", lambda: self.w.refresh([sid])),
                ("Properties…", lambda: self.properties(sid)),
                ("Rename…", lambda: self.rename(sid)),
                ("Move to folder…", lambda: self.move(sid)),
                (
                    "Enable" if not row.get("enabled", True) else "Disable",
                    lambda: self.toggle_enabled(sid),
                ),
            ]
            if row.get("last_error"):
                entries.insert(0, ("Retry now", lambda: self.retry(sid)))
            entries.append(("Delete…", lambda: self.delete(sid)))
        else:
            folder = str(value)
            ids = [
                s["id"]
                for s in (self.w.counts.sources if self.w.counts else [])
                if s["folder"] == folder
            ]
            entries = [
                ("Refresh folder", lambda: self.w.refresh(ids)),
                ("Rename folder…", lambda: self.rename_folder(folder)),
            ]
        for text, fn in entries:
            action = menu.addAction(text)
            action.triggered.connect(lambda _=False, fn=fn: fn())
        menu.popup(pos)
        self.w.context_menu = menu
        return menu

    def rename_folder(self, folder: str) -> Any:
        """Rename a folder (every source in it moves)."""
        from desktop.sources import manage
        from desktop.ui.qt import QInputDialog  # dialog types load when first used

        dialog = QInputDialog(self.w)
        dialog.setObjectName("renameFolder")
        dialog.setWindowTitle("Rename folder")
        dialog.setLabelText("New name (empty: dissolve the folder):")
        dialog.setTextValue(folder)
        desk = self.desk

        def chosen(text: str) -> None:
            if text.strip() == folder:
                return
            self.w.tasks.write(
                desk.db.write,
                manage.rename_folder,
                folder,
                text,
                done=lambda n: self._source_changed(f"Moved {n} source(s)"),
                error=self.w.report_problem,
            )

        dialog.textValueSelected.connect(chosen)
        return self._show(dialog)

    def _row(self, source_id: int) -> dict[str, Any] | None:
        for s in self.w.counts.sources if self.w.counts else []:
            if s["id"] == source_id:
                return s
        return None

    def _title(self, source_id: int) -> str:
        row = self._row(source_id)
        return (row["title"] or row["url"]) if row else f"source {source_id}"

    def _folder(self, source_id: int) -> str | None:
        row = self._row(source_id)
        return row["folder"] if row else None

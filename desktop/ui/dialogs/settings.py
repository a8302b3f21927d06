"""The settings dialog (generated from the declarations) and the key map editor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desktop.commands.registry import (
    KeymapError,
    Registry,
    display_keys,
    normalize_sequence,
)
from desktop.config.settings import (
    RESTART_NEEDED,
    SETTINGS,
    Setting,
    Settings,
    SettingsError,
    defaults,
)
from desktop.ui.qt import (
    QBrush,
    QCheckBox,
    QColor,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


def editor_for(setting: Setting) -> QWidget:
    """The widget that edits one declared setting."""
    if setting.kind == "bool":
        widget: Any = QCheckBox(setting.label)
    elif setting.kind == "int":
        widget = QSpinBox()
        widget.setRange(int(setting.minimum or 0), int(setting.maximum or 1_000_000))
        widget.setSuffix(setting.suffix)
        if setting.name == "font_size":
            widget.setSpecialValueText("System size")
        if setting.name == "retention_days":
            widget.setSpecialValueText("Never (keep everything)")
    elif setting.kind == "float":
        widget = QDoubleSpinBox()
        widget.setRange(float(setting.minimum or 0), float(setting.maximum or 1e9))
        widget.setDecimals(1)
        widget.setSingleStep(0.5)
        widget.setSuffix(setting.suffix)
    elif setting.kind == "choice":
        widget = QComboBox()
        for value, label in setting.choices:
            widget.addItem(label, value)
    elif setting.kind == "text":
        widget = QLineEdit()
        widget.setPlaceholderText(setting.placeholder)
        widget.setClearButtonEnabled(True)
    else:  # languages
        widget = QLineEdit()
        widget.setPlaceholderText("all languages")
    widget.setObjectName(f"setting_{setting.name}")
    widget.setToolTip(setting.description)
    widget.setWhatsThis(setting.description)
    return widget


def set_value(widget: Any, setting: Setting, value: Any) -> None:
    """Show ``value`` in ``widget``."""
    if setting.kind == "bool":
        widget.setChecked(bool(value))
    elif setting.kind in ("int", "float"):
        widget.setValue(value)
    elif setting.kind == "choice":
        widget.setCurrentIndex(max(0, widget.findData(value)))
    elif setting.kind == "text":
        widget.setText(str(value))
    else:
        widget.setText(" ".join(value))


def get_value(widget: Any, setting: Setting) -> Any:
    """The value ``widget`` holds (not yet validated)."""
    if setting.kind == "bool":
        return widget.isChecked()
    if setting.kind in ("int", "float"):
        return widget.value()
    if setting.kind == "choice":
        return widget.currentData()
    return widget.text()


def password_editor() -> QLineEdit:
    """The database password's field: written to the system keyring on Apply/OK, never
    to ``settings.json``; empty keeps what the keyring holds."""
    widget = QLineEdit()
    widget.setObjectName("setting_database_password")
    widget.setEchoMode(QLineEdit.EchoMode.Password)
    widget.setPlaceholderText("unchanged (kept in the system keyring)")
    tip = (
        "The PostgreSQL password, kept in the system keyring (never in settings.json). "
        "Leave empty to keep the stored one, or when ~/.pgpass or $PGPASSWORD has it."
    )
    widget.setToolTip(tip)
    widget.setWhatsThis(tip)
    return widget


class SettingsDialog(QDialog):
    """One form per section, one editor per declared setting; Apply/OK update live.

    Beside ``database_url`` a password field stores into the system keyring on
    Apply/OK, through ``background`` when given (``Tasks.write``: the keyring is a D-Bus
    call that may wait for an unlock prompt, never on the UI thread); with ``lookup``
    (``Tasks.read``) the field says whether the keyring holds one for the URL, and
    "Forget" deletes it. The settings of ``RESTART_NEEDED`` take effect at the next
    start (the dialog says so)."""

    def __init__(
        self,
        settings: Settings,
        parent: Any = None,
        background: Callable[..., Any] | None = None,
        lookup: Callable[..., Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self._background = background
        self._lookup = lookup
        self.forget: QPushButton | None = None
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)
        self.settings = settings
        self.editors: dict[str, Any] = {}
        self.password: QLineEdit | None = None
        layout = QVBoxLayout(self)
        sections: dict[str, QFormLayout] = {}
        for s in SETTINGS:
            form = sections.get(s.section)
            if form is None:
                box = QGroupBox(s.section)
                form = QFormLayout(box)
                sections[s.section] = form
                layout.addWidget(box)
            editor = editor_for(s)
            self.editors[s.name] = editor
            form.addRow("" if s.kind == "bool" else f"{s.label}:", editor)
            if s.name == "database_url":
                self.password = password_editor()
                self.forget = QPushButton("Forget")
                self.forget.setObjectName("forgetDatabasePassword")
                self.forget.setToolTip("Delete the stored password from the system keyring")
                self.forget.setEnabled(False)
                self.forget.clicked.connect(self.forget_password)
                row = QHBoxLayout()
                row.addWidget(self.password, 1)
                row.addWidget(self.forget)
                form.addRow("Database password:", row)
                editor.editingFinished.connect(self.check_stored_password)
            hint = QLabel(s.description)
            hint.setWordWrap(True)
            hint.setObjectName("settingHint")
            hint.setStyleSheet("color: #6b7280; font-size: 8pt;")
            form.addRow("", hint)
        self.message = QLabel("")
        self.message.setObjectName("dialogMessage")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Apply
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self._ok)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(
            lambda: self.apply()
        )
        self.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(
            self.restore_defaults
        )
        self._show(settings.values())
        self.check_stored_password()

    def check_stored_password(self) -> None:
        """Ask the keyring (off the UI thread) whether it holds the URL's password and
        say so in the password field; "Forget" is enabled when it does."""
        if self.password is None or self._lookup is None:
            return
        from desktop.paths import POSTGRES_PREFIXES
        from desktop.store.db_password import stored_key

        url = self.editors["database_url"].text().strip()

        def known(key: str | None) -> None:
            if self.password is None or self.forget is None:
                return
            try:
                if self.editors["database_url"].text().strip() != url:
                    return  # the URL changed meanwhile: a newer answer is on its way
            except RuntimeError:  # the dialog was closed and deleted meanwhile
                return
            self.forget.setEnabled(key is not None)
            if key:
                hint = f"stored in the system keyring for {key}; type to replace"
            elif url.startswith(POSTGRES_PREFIXES):
                hint = "none stored (~/.pgpass or $PGPASSWORD may have it)"
            else:
                hint = "only for a PostgreSQL database"
            self.password.setPlaceholderText(hint)

        self._lookup(stored_key, url, done=known, error=lambda _exc: known(None))

    def forget_password(self) -> None:
        """Delete the database URL's password from the keyring (off the UI thread)."""
        from desktop.store.db_password import delete_password

        url = self.editors["database_url"].text().strip()
        if self._background is None or not url:
            return

        def forgotten(key: str) -> None:
            self.message.setText(f"Password for {key} deleted from the system keyring.")
            self.check_stored_password()

        def failed(exc: Any) -> None:
            self.message.setText(f"⚠ {exc}")

        self._background(delete_password, url, done=forgotten, error=failed)

    def _show(self, values: dict[str, Any]) -> None:
        for s in SETTINGS:
            set_value(self.editors[s.name], s, values[s.name])

    def values(self) -> dict[str, Any]:
        """What the form holds, by setting name."""
        return {s.name: get_value(self.editors[s.name], s) for s in SETTINGS}

    def restore_defaults(self) -> None:
        """Put the defaults into the form (applied with OK or Apply)."""
        self._show(defaults())

    def apply(self, then: Callable[[], None] | None = None) -> bool:
        """Validate and apply the form (listeners update the window live); False when it
        is refused. A typed database password goes to the system keyring first (a
        refusal there applies nothing); ``then`` runs once all is applied."""
        from desktop.sources.credentials import CredentialsUnavailable
        from desktop.store.db_password import store_password

        values = self.values()
        try:
            checked = {s.name: s.coerce(values[s.name]) for s in SETTINGS}
            password = self.password.text() if self.password is not None else ""
            if password:
                _check_password_target(checked["database_url"])
        except ValueError as exc:
            self.message.setText(f"⚠ {exc}")
            return False
        if not password:
            return self._update(checked, [], then)

        def stored(key: str) -> None:
            if self.password is not None:
                self.password.clear()
            self._update(checked, [f"Password for {key} kept in the system keyring."], then)
            self.check_stored_password()

        def failed(exc: Any) -> None:
            self.message.setText(f"⚠ {exc}")

        url = checked["database_url"]
        if self._background is not None:
            self._background(store_password, url, password, done=stored, error=failed)
            return True
        try:
            key = store_password(url, password)
        except (ValueError, CredentialsUnavailable, OSError) as exc:
            failed(exc)
            return False
        stored(key)
        return True

    def _update(
        self, checked: dict[str, Any], notes: list[str], then: Callable[[], None] | None
    ) -> bool:
        try:
            changed = self.settings.update(checked)
        except (ValueError, OSError) as exc:
            from desktop.store.errors import describe

            self.message.setText(f"⚠ {describe(exc)}")
            return False
        live = sorted(changed - RESTART_NEEDED)
        if live:
            notes.insert(0, f"Applied: {', '.join(live)}.")
        if changed & RESTART_NEEDED:
            notes.append("The database changes the next time Newsdesk starts.")
        self.message.setText(" ".join(notes))
        if then is not None:
            then()
        return True

    def _ok(self) -> None:
        self.apply(then=self.accept)


def _check_password_target(url: str) -> None:
    """A typed password needs a PostgreSQL database to belong to (raises SettingsError)."""
    from desktop.paths import POSTGRES_PREFIXES

    if not url.startswith(POSTGRES_PREFIXES):
        raise SettingsError(
            "database password: only a PostgreSQL database (postgresql://…) takes one"
        )


CONFLICT_COLOR = QColor("#fecaca")
KEY_SEPARATOR = " / "


def parse_keys(text: str) -> tuple[str, ...]:
    """``"j / Down"`` → ``("j", "Down")`` in canonical form (raises KeymapError).

    Alternatives are separated by `` / `` with spaces, so ``/`` itself stays a key.
    """
    text = " ".join(text.split())
    if not text:
        return ()
    return tuple(dict.fromkeys(normalize_sequence(p) for p in text.split(KEY_SEPARATOR) if p))


class KeymapEditor(QDialog):
    """Every command with its keys: edit the Keys cell (``j / Down``), conflicts in red."""

    COL_TITLE, COL_CATEGORY, COL_KEYS, COL_DEFAULT = range(4)

    def __init__(self, registry: Registry, defaults_registry: Registry, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("keymapEditor")
        self.setWindowTitle("Key map")
        self.resize(760, 560)
        self.defaults = defaults_registry
        self.ids = [c.id for c in registry]
        self.keys: dict[str, tuple[str, ...]] = {c.id: c.keys for c in registry}
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                "Double-click a Keys cell to rebind. Separate alternatives with ' / ', "
                "sequences with a space (g i). A capital letter means Shift."
            )
        )
        self.table = QTableWidget(len(self.ids), 4)
        self.table.setObjectName("keymapTable")
        self.table.setHorizontalHeaderLabels(["Command", "Menu", "Keys", "Default"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        for row, c in enumerate(registry):
            for col, text in (
                (self.COL_TITLE, c.title),
                (self.COL_CATEGORY, c.category),
                (self.COL_DEFAULT, display_keys(defaults_registry.get(c.id).keys)),
            ):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                item.setToolTip(c.description or c.title)
                self.table.setItem(row, col, item)
            self.table.setItem(row, self.COL_KEYS, QTableWidgetItem(display_keys(c.keys)))
        self.table.resizeColumnsToContents()
        layout.addWidget(self.table, 1)
        self.conflict_label = QLabel("")
        self.conflict_label.setObjectName("keymapConflicts")
        self.conflict_label.setWordWrap(True)
        layout.addWidget(self.conflict_label)
        row = QHBoxLayout()
        reset_one = QPushButton("Reset selected")
        reset_all = QPushButton("Reset all to defaults")
        for b in (reset_one, reset_all):
            b.setAutoDefault(False)
            row.addWidget(b)
        row.addStretch(1)
        layout.addLayout(row)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        reset_one.clicked.connect(self.reset_selected)
        reset_all.clicked.connect(self.reset_all)
        self.table.itemChanged.connect(self._edited)
        self.conflicts: list[Any] = []
        self._check()

    def row_of(self, command_id: str) -> int:
        return self.ids.index(command_id)

    def set_keys(self, command_id: str, text: str) -> None:
        """Type ``text`` into a command's Keys cell (as the user would)."""
        self.table.item(self.row_of(command_id), self.COL_KEYS).setText(text)

    def _edited(self, item: QTableWidgetItem) -> None:
        if item.column() != self.COL_KEYS:
            return
        cid = self.ids[item.row()]
        try:
            self.keys[cid] = parse_keys(item.text())
            item.setToolTip("")
        except KeymapError as exc:
            item.setToolTip(str(exc))
            self.conflict_label.setText(f"⚠ {self.defaults.get(cid).title}: {exc}")
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
            return
        self.table.blockSignals(True)
        item.setText(display_keys(self.keys[cid]))
        self.table.blockSignals(False)
        self._check()

    def edited_registry(self) -> Registry:
        """A registry with the keys as edited."""
        reg = Registry()
        for c in self.defaults:
            reg.add(c)
        reg.rebind({cid: list(keys) for cid, keys in self.keys.items()})
        return reg

    def _check(self) -> None:
        self.conflicts = self.edited_registry().conflicts()
        bad = {cid for c in self.conflicts for cid in c.command_ids}
        self.table.blockSignals(True)
        for row, cid in enumerate(self.ids):
            item = self.table.item(row, self.COL_KEYS)
            item.setBackground(QBrush(CONFLICT_COLOR) if cid in bad else QBrush())
        self.table.blockSignals(False)
        titles = {c.id: c.title for c in self.defaults}
        self.conflict_label.setText(
            "⚠ Conflicts: "
            + "; ".join(
                f"{c.keys} → {', '.join(titles[i] for i in c.command_ids)} ({c.reason})"
                for c in self.conflicts
            )
            if self.conflicts
            else "No conflicts."
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not self.conflicts)

    def reset_selected(self) -> None:
        """Put the selected commands back to their default keys."""
        for row in sorted({i.row() for i in self.table.selectedIndexes()}):
            cid = self.ids[row]
            self.set_keys(cid, display_keys(self.defaults.get(cid).keys))

    def reset_all(self) -> None:
        """Every command back to its default keys."""
        for cid in self.ids:
            self.set_keys(cid, display_keys(self.defaults.get(cid).keys))

    def overrides(self) -> dict[str, list[str]]:
        """The bindings that differ from the defaults (what keymap.json stores)."""
        return {
            cid: list(keys)
            for cid, keys in self.keys.items()
            if self.defaults.get(cid).keys != keys
        }

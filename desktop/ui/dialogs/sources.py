"""Source dialogs: add (with autodiscovery), properties (with credentials), delete, OPML pick.

They hold no backend: the window passes plain data in, runs the work and
feeds results back (``show_choices``, ``show_error``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from desktop.ui.qt import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    Qt,
    QVBoxLayout,
    Signal,
)

ITEM_ROLE = Qt.ItemDataRole.UserRole + 1


def _folder_box(folders: Sequence[str], current: str | None) -> QComboBox:
    box = QComboBox()
    box.setEditable(True)
    box.addItem("")
    box.addItems(list(folders))
    box.setCurrentText(current or "")
    box.lineEdit().setPlaceholderText("(no folder)")
    return box


def _ok_cancel(dialog: QDialog) -> QDialogButtonBox:
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


class AddSourceDialog(QDialog):
    """URL → the feeds found there → pick one, title and folder.

    ``discover_requested(url)`` asks the window to look; it answers with
    :meth:`show_choices` or :meth:`show_error`.
    """

    discover_requested = Signal(str)

    def __init__(self, folders: Sequence[str], parent: Any = None, url: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("addSourceDialog")
        self.setWindowTitle("Add source")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.url = QLineEdit(url)
        self.url.setPlaceholderText("Feed or web page address, or a local file")
        self.find = QPushButton("Find feeds")
        self.find.setDefault(False)
        self.find.setAutoDefault(False)
        row.addWidget(self.url, 1)
        row.addWidget(self.find)
        layout.addWidget(QLabel("Address:"))
        layout.addLayout(row)
        self.choices = QListWidget()
        self.choices.setObjectName("feedChoices")
        self.choices.setMinimumHeight(120)
        layout.addWidget(QLabel("Feeds found (pick one):"))
        layout.addWidget(self.choices)
        form = QFormLayout()
        self.title = QLineEdit()
        self.title.setPlaceholderText("(the feed's own title)")
        self.folder = _folder_box(folders, None)
        form.addRow("Title:", self.title)
        form.addRow("Folder:", self.folder)
        layout.addLayout(form)
        self.message = QLabel("")
        self.message.setObjectName("dialogMessage")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.buttons = _ok_cancel(self)
        layout.addWidget(self.buttons)
        self._ok().setEnabled(False)
        self.find.clicked.connect(self._find)
        self.url.returnPressed.connect(self._find)
        self.url.textEdited.connect(lambda _t: self._reset())
        self.choices.currentItemChanged.connect(self._picked)
        self.searching = False

    def _ok(self) -> Any:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def _reset(self) -> None:
        self.choices.clear()
        self._ok().setEnabled(False)

    def _find(self) -> None:
        url = self.url.text().strip()
        if not url or self.searching:
            return
        self.searching = True
        self.find.setEnabled(False)
        self.choices.clear()
        self.message.setText(f"Looking for feeds at {url}…")
        self.discover_requested.emit(url)

    def show_choices(self, choices: Sequence[Any]) -> None:
        """Feeds found (``manage.FeedChoice``); the first is selected."""
        self.searching = False
        self.find.setEnabled(True)
        self.choices.clear()
        for c in choices:
            extra = f" — {c.items} items" if getattr(c, "items", None) is not None else ""
            item = QListWidgetItem(f"{c.title} ({c.kind}){extra}\n{c.url}")
            item.setData(ITEM_ROLE, c)
            self.choices.addItem(item)
        self.message.setText(
            f"{len(choices)} feed(s) found." if len(choices) != 1 else "This is a feed."
        )
        if choices:
            self.choices.setCurrentRow(0)

    def show_error(self, error: Any) -> None:
        """Discovery failed: say why, let the user edit the address."""
        self.searching = False
        self.find.setEnabled(True)
        self.message.setText(f"⚠ {error}")

    def _picked(self, item: Any, _prev: Any) -> None:
        self._ok().setEnabled(item is not None)

    def chosen(self) -> tuple[str, str | None, str | None] | None:
        """(feed URL, title or None, folder or None) of the picked feed."""
        item = self.choices.currentItem()
        if item is None:
            return None
        choice = item.data(ITEM_ROLE)
        return (
            choice.url,
            self.title.text().strip() or choice.title or None,
            self.folder.currentText().strip() or None,
        )


def _when(text: str | None) -> str:
    return text.replace("T", " ").replace("Z", " UTC") if text else "never"


class SourcePropertiesDialog(QDialog):
    """Every property of one source, its fetch status and its credentials."""

    retry_requested = Signal(int)
    save_requested = Signal()
    """OK was pressed: the window saves, then calls ``accept`` (or ``show_error``)."""

    def __init__(
        self,
        props: Any,
        folders: Sequence[str],
        keyring: tuple[bool, str],
        default_minutes: int = 60,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sourceProperties")
        self.setWindowTitle(f"Source properties — {props.title or props.url}")
        self.setMinimumWidth(560)
        self.props = props
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.title = QLineEdit(props.title)
        url = QLineEdit(props.url)
        url.setReadOnly(True)
        self.folder = _folder_box(folders, props.folder)
        self.enabled = QCheckBox("Fetch this source")
        self.enabled.setChecked(props.enabled)
        self.interval = QSpinBox()
        self.interval.setRange(0, 7 * 24 * 60)
        self.interval.setSuffix(" min")
        self.interval.setSpecialValueText(f"Default ({default_minutes} min)")
        self.interval.setValue(props.refresh_minutes or 0)
        self.images = QCheckBox("Load remote images in the reading pane")
        self.images.setChecked(props.remote_images)
        self.full = QCheckBox("Always fetch the full article")
        self.full.setChecked(props.full_article)
        self.language = QLineEdit(props.language or "")
        self.language.setPlaceholderText("(detect) — or a code such as en, de, pt-br")
        for label, widget in (
            ("Title:", self.title),
            ("Address:", url),
            ("Folder:", self.folder),
            ("", self.enabled),
            ("Refresh every:", self.interval),
            ("", self.images),
            ("", self.full),
            ("Language:", self.language),
        ):
            form.addRow(label, widget)
        layout.addLayout(form)

        creds = QGroupBox("Credentials (kept in the system keyring, never in Newsdesk's files)")
        cform = QFormLayout(creds)
        self.username = QLineEdit(props.username or "")
        self.username.setPlaceholderText("(none)")
        self.password = QLineEdit()
        self.password.setObjectName("sourcePassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("(unchanged)" if props.username else "password or token")
        cform.addRow("User name:", self.username)
        cform.addRow("Password or token:", self.password)
        self.keyring_ok, keyring_text = keyring
        self.keyring_label = QLabel(
            f"Keyring: {keyring_text}" if self.keyring_ok else f"⚠ {keyring_text}"
        )
        self.keyring_label.setObjectName("keyringStatus")
        self.keyring_label.setWordWrap(True)
        cform.addRow(self.keyring_label)
        if not self.keyring_ok:
            self.password.setEnabled(False)
            self.username.setEnabled(False)
        layout.addWidget(creds)

        status = QGroupBox("Status")
        sform = QFormLayout(status)
        sform.addRow("Last success:", QLabel(_when(props.last_success)))
        self.error_label = QLabel(props.last_error or "none")
        self.error_label.setObjectName("lastError")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        sform.addRow("Last error:", self.error_label)
        if props.last_error:
            sform.addRow("Error at:", QLabel(_when(props.last_error_at)))
            sform.addRow("Failures in a row:", QLabel(str(props.failures)))
        sform.addRow("Next fetch:", QLabel(_when(props.next_fetch_at) if props.enabled else "—"))
        self.retry = QPushButton("Retry now")
        self.retry.setAutoDefault(False)
        self.retry.clicked.connect(lambda: self.retry_requested.emit(props.id))
        sform.addRow(self.retry)
        layout.addWidget(status)
        self.message = QLabel("")
        self.message.setObjectName("dialogMessage")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save_requested.emit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def changes(self) -> dict[str, Any]:
        """Editable properties whose value the user changed."""
        p = self.props
        now = {
            "title": self.title.text().strip(),
            "folder": self.folder.currentText().strip() or None,
            "enabled": self.enabled.isChecked(),
            "refresh_minutes": self.interval.value() or None,
            "remote_images": self.images.isChecked(),
            "full_article": self.full.isChecked(),
            "language": self.language.text().strip().lower() or None,
        }
        return {k: v for k, v in now.items() if getattr(p, k) != v}

    def credentials(self) -> tuple[str, str] | None:
        """(user name, secret) when the user changed them; ('', '') removes them."""
        user = self.username.text().strip()
        secret = self.password.text()
        if not self.keyring_ok:
            return None
        if user == (self.props.username or "") and not secret:
            return None
        return user, secret

    def show_error(self, error: Any) -> None:
        """Saving failed: say why (the dialog stays open)."""
        self.message.setText(f"⚠ {error}")


class DeleteSourceDialog(QDialog):
    """Asks before unsubscribing; offers to keep flagged articles."""

    def __init__(self, title: str, articles: int, flagged: int, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("deleteSource")
        self.setWindowTitle("Delete source")
        layout = QVBoxLayout(self)
        text = QLabel(
            f"Unsubscribe from <b>{title}</b> and delete its {articles} article(s)?"
            "<br>This cannot be undone."
        )
        text.setWordWrap(True)
        layout.addWidget(text)
        self.keep = QCheckBox(f"Keep its {flagged} flagged article(s)")
        self.keep.setChecked(True)
        self.keep.setVisible(flagged > 0)
        layout.addWidget(self.keep)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Yes | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Yes).setText("Delete")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.flagged = flagged

    def keep_flagged(self) -> bool:
        return self.flagged > 0 and self.keep.isChecked()


class OpmlPickDialog(QDialog):
    """The feeds of an OPML document as a checklist; only checked ones are subscribed.

    ``preselect`` False (the starter list) means nothing is subscribed unless
    the user ticks it.
    """

    def __init__(
        self,
        outlines: Sequence[Any],
        title: str,
        preselect: bool,
        subscribed: set[str] | None = None,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("opmlPick")
        self.setWindowTitle(title)
        self.setMinimumSize(560, 420)
        subscribed = subscribed or set()
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Tick the feeds to subscribe to:"))
        self.list = QListWidget()
        self.list.setObjectName("opmlList")
        for o in outlines:
            label = f"{o.folder + ' › ' if o.folder else ''}{o.title or o.url}"
            item = QListWidgetItem(f"{label}\n{o.url}")
            item.setData(ITEM_ROLE, o)
            flags = item.flags() | Qt.ItemFlag.ItemIsUserCheckable
            if o.url in subscribed:
                flags &= ~Qt.ItemFlag.ItemIsEnabled
                item.setText(f"{label} (already subscribed)\n{o.url}")
            item.setFlags(flags)
            checked = preselect and o.url not in subscribed
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        layout.addWidget(self.list, 1)
        row = QHBoxLayout()
        every = QPushButton("Select all")
        none = QPushButton("Select none")
        for b in (every, none):
            b.setAutoDefault(False)
            row.addWidget(b)
        row.addStretch(1)
        layout.addLayout(row)
        every.clicked.connect(lambda: self._check_all(True))
        none.clicked.connect(lambda: self._check_all(False))
        self.buttons = _ok_cancel(self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Subscribe")
        layout.addWidget(self.buttons)

    def _check_all(self, on: bool) -> None:
        state = Qt.CheckState.Checked if on else Qt.CheckState.Unchecked
        for n in range(self.list.count()):
            item = self.list.item(n)
            if item.flags() & Qt.ItemFlag.ItemIsEnabled:
                item.setCheckState(state)

    def chosen(self) -> list[Any]:
        """The ticked outlines."""
        return [
            self.list.item(n).data(ITEM_ROLE)
            for n in range(self.list.count())
            if self.list.item(n).checkState() == Qt.CheckState.Checked
        ]

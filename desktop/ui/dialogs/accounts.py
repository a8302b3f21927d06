"""Accounts on feed servers (Fever, Google Reader API, TT-RSS): list, add, remove, sync.

Like the source dialogs it holds no backend: the window answers its requests
(``add_requested``, ``remove_requested``, ``sync_requested``) off the UI thread
and feeds the results back with :meth:`show_accounts` and :meth:`show_message`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from desktop.ui.qt import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    Signal,
)

KINDS = (
    ("greader", "Google Reader API (FreshRSS, Miniflux, Inoreader-style)"),
    ("fever", "Fever API (coldsweat, FreshRSS, Miniflux, Tiny Tiny RSS plugin)"),
    ("ttrss", "Tiny Tiny RSS"),
)
URL_HINTS = {
    "greader": "https://rss.example.org/api/greader.php (Miniflux: the server address)",
    "fever": "https://rss.example.org/fever/",
    "ttrss": "https://rss.example.org/tt-rss/",
}
COLUMNS = ("Server", "Kind", "User", "Sources", "Waiting", "Last sync", "Last error")


class AddAccountDialog(QDialog):
    """Kind, server address, user name and password of a new account."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("addAccountDialog")
        self.setWindowTitle("Add account")
        self.setMinimumWidth(520)
        form = QFormLayout(self)
        self.kind = QComboBox()
        for key, label in KINDS:
            self.kind.addItem(label, key)
        self.url = QLineEdit()
        self.username = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("Server:", self.kind)
        form.addRow("Address:", self.url)
        form.addRow("User name:", self.username)
        form.addRow("Password:", self.password)
        note = QLabel("The password is kept in the system keyring, never in Newsdesk's files.")
        note.setWordWrap(True)
        form.addRow(note)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.kind.currentIndexChanged.connect(lambda _i: self._hint())
        for edit in (self.url, self.username, self.password):
            edit.textChanged.connect(lambda _t: self._validate())
        self._hint()
        self._validate()

    def _hint(self) -> None:
        self.url.setPlaceholderText(URL_HINTS[self.kind.currentData()])

    def _validate(self) -> None:
        ok = all(e.text().strip() for e in (self.url, self.username)) and bool(self.password.text())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def values(self) -> tuple[str, str, str, str]:
        """``(kind, url, username, password)`` as entered."""
        return (
            str(self.kind.currentData()),
            self.url.text().strip(),
            self.username.text().strip(),
            self.password.text(),
        )


class AccountsDialog(QDialog):
    """The accounts, their last sync and waiting changes; add, remove, sync now."""

    add_requested = Signal(str, str, str, str)
    remove_requested = Signal(int)
    sync_requested = Signal()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("accountsDialog")
        self.setWindowTitle("Feed server accounts")
        self.resize(820, 320)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Accounts bring a feed server's subscriptions and items in as ordinary sources; "
            "read and flagged go both ways. Newsdesk does not fetch those feeds itself."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("accountsTable")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.add_button = QPushButton("Add…")
        self.remove_button = QPushButton("Remove")
        self.sync_button = QPushButton("Sync now")
        close = QPushButton("Close")
        for b in (self.add_button, self.remove_button, self.sync_button):
            b.setAutoDefault(False)
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(close)
        layout.addLayout(row)
        self.message = QLabel("")
        self.message.setObjectName("dialogMessage")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.add_button.clicked.connect(self._add)
        self.remove_button.clicked.connect(self._remove)
        self.sync_button.clicked.connect(self._sync)
        close.clicked.connect(self.accept)
        self.table.itemSelectionChanged.connect(self._selection)
        self.add_dialog: AddAccountDialog | None = None
        self._selection()

    def show_accounts(self, accounts: Sequence[dict[str, Any]]) -> None:
        """Fill the table from ``Newsdesk.accounts()`` rows."""
        self.table.setRowCount(len(accounts))
        for r, a in enumerate(accounts):
            cells = (
                a["url"],
                a["kind"],
                a["username"],
                str(a.get("sources", "")),
                str(a.get("pending_changes", "")),
                (a.get("last_sync_at") or "never")[:16].replace("T", " "),
                a.get("last_error") or "",
            )
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, int(a["id"]))
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        self.sync_button.setEnabled(bool(accounts))
        self._selection()

    def show_message(self, text: str) -> None:
        """A line under the table: progress, a result, or an error."""
        self.message.setText(text)

    def busy(self, busy: bool) -> None:
        """Disable the buttons while a request runs."""
        for b in (self.add_button, self.sync_button):
            b.setEnabled(not busy)
        self.remove_button.setEnabled(not busy and self.selected_id() is not None)

    def selected_id(self) -> int | None:
        """The id of the selected account, if any."""
        items = self.table.selectedItems()
        return int(items[0].data(Qt.ItemDataRole.UserRole)) if items else None

    def _selection(self) -> None:
        self.remove_button.setEnabled(self.selected_id() is not None)

    def _add(self) -> None:
        dialog = AddAccountDialog(self)
        self.add_dialog = dialog

        def closed(result: int) -> None:
            self.add_dialog = None
            if result == QDialog.DialogCode.Accepted:
                self.add_requested.emit(*dialog.values())
            dialog.deleteLater()

        dialog.finished.connect(closed)
        dialog.open()

    def _remove(self) -> None:
        account_id = self.selected_id()
        if account_id is not None:
            self.remove_requested.emit(account_id)

    def _sync(self) -> None:
        self.sync_requested.emit()

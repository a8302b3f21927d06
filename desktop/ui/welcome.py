"""The first-run page: shown instead of an empty list when there are no sources."""

from __future__ import annotations

from typing import Any

from desktop.ui.qt import QHBoxLayout, QLabel, QPushButton, Qt, QVBoxLayout, QWidget, Signal

ACTIONS = (
    ("file.add_source", "Add a feed…", "Subscribe to a feed or a web page's feeds by address."),
    ("file.import_opml", "Import an OPML file…", "Bring your subscriptions from another reader."),
    (
        "file.load_samples",
        "Load the sample feeds",
        "Seven offline feeds in eight languages (~200 items): try triage at once.",
    ),
    (
        "file.starter_feeds",
        "Choose from starter feeds…",
        "Well-known public news feeds in several languages; you pick which.",
    ),
)


class WelcomePage(QWidget):
    """Three ways to start (and the starter list, as a choice); emits a command id."""

    chosen = Signal(str)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcome")
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        column = QVBoxLayout()
        outer.addLayout(column, 3)
        outer.addStretch(1)
        column.addStretch(1)
        title = QLabel("Welcome to Newsdesk")
        title.setObjectName("welcomeTitle")
        title.setStyleSheet("font-size: 20pt; font-weight: 600;")
        column.addWidget(title)
        intro = QLabel(
            "Newsdesk fetches your feeds, tags every article with its language and topics, "
            "folds the same story from many outlets into one row, and lets you triage it "
            "with the keyboard. You have no sources yet:"
        )
        intro.setWordWrap(True)
        column.addWidget(intro)
        self.buttons: dict[str, QPushButton] = {}
        for command_id, label, hint in ACTIONS:
            button = QPushButton(label)
            button.setObjectName(f"welcome_{command_id.split('.')[1]}")
            button.setMinimumHeight(34)
            button.clicked.connect(lambda _=False, cid=command_id: self.chosen.emit(cid))
            note = QLabel(hint)
            note.setStyleSheet("color: #6b7280;")
            column.addWidget(button)
            column.addWidget(note)
            self.buttons[command_id] = button
        self.status = QLabel("")
        self.status.setObjectName("welcomeStatus")
        self.status.setWordWrap(True)
        column.addWidget(self.status)
        keys = QLabel("Press ? for every key, Ctrl+K for the command palette.")
        keys.setAlignment(Qt.AlignmentFlag.AlignLeft)
        keys.setStyleSheet("color: #6b7280;")
        column.addWidget(keys)
        column.addStretch(2)

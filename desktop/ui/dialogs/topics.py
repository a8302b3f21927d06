"""The topics editor of ``t``: an article's topics as a comma-separated list."""

from __future__ import annotations

from typing import Any

from desktop.ui.qt import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout


class TopicsDialog(QDialog):
    """Edit an article's topics as a comma-separated list."""

    def __init__(self, topics: list[str], parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("topicsDialog")
        self.setWindowTitle("Topics")
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Topics, separated by commas (your changes teach the tagger):"))
        self.edit = QLineEdit(", ".join(topics))
        layout.addWidget(self.edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.edit.returnPressed.connect(self.accept)

    def topics(self) -> list[str]:
        """The topics typed, cleaned, in order, without duplicates."""
        seen: dict[str, None] = {}
        for part in self.edit.text().split(","):
            tag = part.strip().lower()
            if tag:
                seen.setdefault(tag, None)
        return list(seen)

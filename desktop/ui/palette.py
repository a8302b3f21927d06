"""Pickers with fuzzy search: the command palette (Ctrl+K) and the language/topic filters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from desktop.commands.registry import Registry, display_keys, fuzzy_score, search_commands
from desktop.ui.qt import (
    QDialog,
    QKeyEvent,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    Qt,
    QVBoxLayout,
    Signal,
)


@dataclass(frozen=True, slots=True)
class Choice:
    """One entry of a picker."""

    label: str
    hint: str
    value: Any


class Picker(QDialog):
    """A small modal list with a search field; emits ``chosen(value)`` on Enter."""

    chosen = Signal(object)

    def __init__(self, title: str, choices: Sequence[Choice], parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("picker")
        self.setWindowTitle(title)
        self.setModal(True)
        self.setMinimumWidth(460)
        self._choices = list(choices)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        heading = QLabel(title)
        heading.setObjectName("pickerTitle")
        layout.addWidget(heading)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Type to filter…")
        self.search.setClearButtonEnabled(True)
        layout.addWidget(self.search)
        self.list = QListWidget(self)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout.addWidget(self.list)
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._accept_current)
        self.list.itemActivated.connect(lambda _i: self._accept_current())
        self.search.installEventFilter(self)
        self._filter("")

    def ranked(self, text: str) -> list[Choice]:
        """Choices matching ``text``, best first."""
        if not text.strip():
            return list(self._choices)
        scored = []
        for n, c in enumerate(self._choices):
            s = [
                x for x in (fuzzy_score(text, c.label), fuzzy_score(text, c.hint)) if x is not None
            ]
            if s:
                scored.append((max(s), -n, c))
        scored.sort(key=lambda t: (t[0], t[1]), reverse=True)
        return [c for _, _, c in scored]

    def _filter(self, text: str) -> None:
        self.list.clear()
        for c in self.ranked(text):
            item = QListWidgetItem(f"{c.label}\t{c.hint}" if c.hint else c.label)
            item.setData(Qt.ItemDataRole.UserRole, c)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)

    def _accept_current(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        choice = item.data(Qt.ItemDataRole.UserRole)
        self.accept()
        self.chosen.emit(choice.value)

    def eventFilter(self, watched: Any, event: Any) -> bool:
        if (
            watched is self.search
            and isinstance(event, QKeyEvent)
            and event.type() == event.Type.KeyPress
        ):
            key = event.key()
            step = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1}.get(key)
            if step is not None and self.list.count():
                row = (self.list.currentRow() + step) % self.list.count()
                self.list.setCurrentRow(row)
                return True
        return False


def command_choices(registry: Registry, query: str = "") -> list[Choice]:
    """Palette entries for every command (matching ``query``), with their keys."""
    commands = search_commands(registry, query) if query else list(registry)
    return [Choice(f"{c.category}: {c.title}", display_keys(c.keys), c.id) for c in commands]


class CommandPalette(Picker):
    """Every command by name or key; Enter runs it."""

    def __init__(self, registry: Registry, parent: Any = None) -> None:
        self._registry = registry
        super().__init__("Run a command", command_choices(registry), parent)

    def ranked(self, text: str) -> list[Choice]:
        return command_choices(self._registry, text)

"""Keyboard handling: Qt key events → canonical chords → commands (sequences like ``g i``).

One application-wide event filter sees key presses meant for the main window
before any widget does. Single-key commands apply in ``list`` mode (the
article list or reading pane has focus); chords with Ctrl/Alt also apply in
text fields (``global`` mode). Menus show keys but do not bind them, so one
table decides what every key does.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from desktop.commands.registry import KeySequencer, Registry
from desktop.ui.qt import QLineEdit, QObject, Qt, QTextEdit, QTimer, QWidget

if TYPE_CHECKING:  # resolved by the first filtered event: not before the first paint
    from desktop.ui.qt import QEvent, QKeyEvent


@cache
def _key_tables() -> tuple[dict[int, str], frozenset[int]]:
    """(key → chord name, modifier keys), built at the first key press: ``Qt.Key``
    would otherwise build the ``Qt`` enums at import, before the first paint."""
    names = {
        Qt.Key.Key_Space: "Space",
        Qt.Key.Key_Return: "Return",
        Qt.Key.Key_Enter: "Enter",
        Qt.Key.Key_Escape: "Esc",
        Qt.Key.Key_Up: "Up",
        Qt.Key.Key_Down: "Down",
        Qt.Key.Key_Left: "Left",
        Qt.Key.Key_Right: "Right",
        Qt.Key.Key_PageUp: "PgUp",
        Qt.Key.Key_PageDown: "PgDown",
        Qt.Key.Key_Home: "Home",
        Qt.Key.Key_End: "End",
        Qt.Key.Key_Tab: "Tab",
        Qt.Key.Key_Backspace: "Backspace",
        Qt.Key.Key_Delete: "Del",
    }
    modifiers = {
        Qt.Key.Key_Shift,
        Qt.Key.Key_Control,
        Qt.Key.Key_Alt,
        Qt.Key.Key_Meta,
        Qt.Key.Key_AltGr,
        Qt.Key.Key_CapsLock,
    }
    return names, frozenset(modifiers)


SEQUENCE_TIMEOUT_MS = 1500


def chord_of(event: QKeyEvent) -> str | None:
    """The canonical chord of a key press (``Shift+E``, ``Ctrl+K``, ``?``).

    None for a bare modifier."""
    key_names, modifier_keys = _key_tables()
    key = event.key()
    if key in modifier_keys or key == Qt.Key.Key_unknown:
        return None
    mods = event.modifiers()
    ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
    alt = bool(mods & Qt.KeyboardModifier.AltModifier)
    shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
    meta = bool(mods & Qt.KeyboardModifier.MetaModifier)
    if key in key_names:
        name = key_names[key]
    elif Qt.Key.Key_F1 <= key <= Qt.Key.Key_F35:
        name = f"F{key - Qt.Key.Key_F1 + 1}"
    elif Qt.Key.Key_A <= key <= Qt.Key.Key_Z:
        letter = chr(int(key))
        name = letter if (shift or ctrl or alt or meta) else letter.lower()
    elif Qt.Key.Key_0 <= key <= Qt.Key.Key_9:
        name = chr(int(key))
    else:
        text = event.text()
        if not text or not text.isprintable():
            return None
        name = text
        shift = False  # the character already says it ("?" is Shift+/)
    parts = [m for m, on in (("Ctrl", ctrl), ("Alt", alt), ("Shift", shift), ("Meta", meta)) if on]
    return "+".join([*parts, name])


def is_text_input(widget: QWidget | None) -> bool:
    """Does this widget take typed text (then single keys belong to it)?"""
    if isinstance(widget, QLineEdit):
        return True
    return isinstance(widget, QTextEdit) and not widget.isReadOnly()


class KeyDispatcher(QObject):
    """Routes the main window's key presses to commands by the registry's key map."""

    def __init__(
        self,
        registry: Registry,
        window: QWidget,
        run: Callable[[str], Any],
        on_pending: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._run = run
        self._on_pending = on_pending or (lambda _text: None)
        self._sequencer = KeySequencer(registry)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEQUENCE_TIMEOUT_MS)
        self._timer.timeout.connect(self._expire)
        self.enabled = True
        self._key_press: Any = None
        self._key_event: Any = None

    def rebuild(self, registry: Registry) -> None:
        """Use a changed key map."""
        self._sequencer = KeySequencer(registry)

    def _expire(self) -> None:
        self._sequencer.reset()
        self._on_pending("")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # every event of the application passes here: keep the common path short
        key_press = self._key_press
        if key_press is None:
            from desktop.ui.qt import QEvent, QKeyEvent

            key_press = self._key_press = QEvent.Type.KeyPress
            self._key_event = QKeyEvent
        if event.type() != key_press or not self.enabled:
            return False
        if not isinstance(watched, QWidget) or watched.window() is not self._window:
            return False
        assert isinstance(event, self._key_event)
        return self.handle(event, watched)

    def handle(self, event: QKeyEvent, target: QWidget | None) -> bool:
        """Run the command bound to this key press; True when it was consumed."""
        chord = chord_of(event)
        if chord is None:
            return False
        typing = is_text_input(target)
        if typing and not self._sequencer.pending:
            plain = "+" not in chord or chord.startswith("Shift+") or chord == "+"
            if plain:
                return False  # the text field gets its own letters, Esc, Enter, arrows
        modes = ("global",) if typing else ("list", "global")
        result = self._sequencer.feed(chord, modes)
        if result is None:
            self._on_pending("")
            return False
        if result == KeySequencer.PENDING:
            self._on_pending(self._sequencer.pending)
            self._timer.start()
            return True
        self._timer.stop()
        self._on_pending("")
        self._run(result)
        return True

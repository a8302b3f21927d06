"""The command registry: every user action as named data, and its key map.

A :class:`Command` says what an action is called, where it lives in the menus,
which keys run it by default and in which mode (``when``) those keys apply.
The menus, the command palette, the help overlay and the key-map settings are
all generated from one :class:`Registry`. Nothing here imports Qt.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

MODES = ("list", "global")
"""``list``: the article list or reading pane has focus (single keys work);
``global``: anywhere in the main window, text fields included (chords only)."""

_MODIFIERS = ("Ctrl", "Alt", "Shift", "Meta")
_NAMED = {
    "space": "Space",
    "return": "Return",
    "enter": "Enter",
    "esc": "Esc",
    "escape": "Esc",
    "up": "Up",
    "down": "Down",
    "left": "Left",
    "right": "Right",
    "pgup": "PgUp",
    "pageup": "PgUp",
    "pgdown": "PgDown",
    "pagedown": "PgDown",
    "home": "Home",
    "end": "End",
    "tab": "Tab",
    "backspace": "Backspace",
    "del": "Del",
    "delete": "Del",
}


class KeymapError(ValueError):
    """A key map that cannot be used (unknown command, malformed key)."""


def normalize_chord(text: str) -> str:
    """One key press in canonical form: ``Ctrl+Shift+Z``, ``Shift+E``, ``j``, ``?``, ``F5``.

    A letter is lower case alone and upper case with a modifier; a bare upper-case
    letter means Shift plus that letter (``E`` is ``Shift+E``).
    """
    text = text.strip()
    if not text:
        raise KeymapError("empty key")
    if text == "+":
        return "+"
    parts = text.split("+")
    if parts[-1] == "":  # "Ctrl++"
        parts = [*parts[:-2], "+"]
    key = parts[-1]
    mods = set()
    for raw in parts[:-1]:
        name = raw.strip().capitalize()
        if name == "Control":
            name = "Ctrl"
        if name not in _MODIFIERS:
            raise KeymapError(f"unknown modifier {raw!r} in {text!r}")
        mods.add(name)
    if len(key) == 1:
        if key.isalpha():
            if key.isupper() and not mods:  # "E" means Shift+E, as in vim and mutt
                mods.add("Shift")
            key = key.upper() if mods else key.lower()
    else:
        low = key.lower()
        if low in _NAMED:
            key = _NAMED[low]
        elif low[0] == "f" and low[1:].isdigit():
            key = low.upper()
        else:
            raise KeymapError(f"unknown key {key!r} in {text!r}")
    ordered = [m for m in _MODIFIERS if m in mods]
    return "+".join([*ordered, key])


def normalize_sequence(text: str) -> str:
    """A key sequence (chords separated by spaces, e.g. ``g i``) in canonical form."""
    chords = text.split()
    if not chords:
        raise KeymapError("empty key sequence")
    if len(chords) > 4:
        raise KeymapError(f"key sequence too long: {text!r}")
    return " ".join(normalize_chord(c) for c in chords)


@dataclass(frozen=True, slots=True)
class Command:
    """One user action."""

    id: str
    title: str
    category: str
    keys: tuple[str, ...] = ()
    description: str = ""
    when: str = "list"
    menu: bool = True
    """Shown in the menu bar (palette and help show every command)."""

    def __post_init__(self) -> None:
        if self.when not in MODES:
            raise ValueError(f"{self.id}: unknown mode {self.when!r}")


@dataclass(frozen=True, slots=True)
class Conflict:
    """Two or more commands fighting over one key sequence (or a prefix of it)."""

    keys: str
    command_ids: tuple[str, ...]
    reason: str

    def __str__(self) -> str:
        return f"{self.keys}: {', '.join(self.command_ids)} ({self.reason})"


@dataclass(slots=True)
class Registry:
    """All commands, in registration order, with the current key map."""

    _commands: dict[str, Command] = field(default_factory=dict)

    def add(self, command: Command) -> Command:
        """Register a command; ids are unique."""
        if command.id in self._commands:
            raise ValueError(f"duplicate command id {command.id!r}")
        keys = tuple(normalize_sequence(k) for k in command.keys)
        command = replace(command, keys=keys)
        self._commands[command.id] = command
        return command

    def extend(self, commands: Iterable[Command]) -> None:
        """Register several commands."""
        for c in commands:
            self.add(c)

    def __iter__(self) -> Iterator[Command]:
        return iter(self._commands.values())

    def __len__(self) -> int:
        return len(self._commands)

    def __contains__(self, command_id: object) -> bool:
        return command_id in self._commands

    def get(self, command_id: str) -> Command:
        """The command with this id (KeyError when unknown)."""
        return self._commands[command_id]

    def categories(self) -> list[str]:
        """Categories in first-seen order."""
        seen: dict[str, None] = {}
        for c in self:
            seen.setdefault(c.category, None)
        return list(seen)

    def keymap(self) -> dict[str, tuple[str, ...]]:
        """Command id → its key sequences (the data a settings page edits)."""
        return {c.id: c.keys for c in self}

    def rebind(self, overrides: Mapping[str, Iterable[str] | str]) -> None:
        """Replace the keys of some commands (``[]`` unbinds); unknown ids raise."""
        for command_id, keys in overrides.items():
            if command_id not in self._commands:
                raise KeymapError(f"unknown command {command_id!r} in key map")
            if isinstance(keys, str):
                keys = [keys]
            normal = tuple(normalize_sequence(k) for k in keys)
            self._commands[command_id] = replace(self._commands[command_id], keys=normal)

    def bindings(self) -> dict[str, list[tuple[str, str]]]:
        """Mode → [(key sequence, command id)]."""
        out: dict[str, list[tuple[str, str]]] = {m: [] for m in MODES}
        for c in self:
            for k in c.keys:
                out[c.when].append((k, c.id))
        return out

    def conflicts(self) -> list[Conflict]:
        """Key sequences bound twice where both can fire, and sequences that
        shadow longer ones (``g`` bound alone makes ``g i`` unreachable)."""
        found: list[Conflict] = []
        every: list[tuple[str, str, str]] = [(k, c.id, c.when) for c in self for k in c.keys]
        by_key: dict[str, list[tuple[str, str]]] = {}
        for k, cid, when in every:
            by_key.setdefault(k, []).append((cid, when))
        for k, users in sorted(by_key.items()):
            ids = tuple(sorted({cid for cid, _ in users}))
            if len(ids) > 1:
                found.append(Conflict(k, ids, "same keys"))
        for k, cid, _ in every:
            for other, ocid, _ in every:
                if other != k and other.startswith(k + " "):
                    found.append(Conflict(k, (cid, ocid), f"{k!r} is a prefix of {other!r}"))
        return found


KEYMAP_VERSION = 1
"""``keymap.json`` layout: ``{"version": 1, "keys": {"command.id": ["keys", ...]}}``.
Release 0.1 wrote the bare ``{"command.id": [...]}`` object; it is still read."""

RENAMED_COMMANDS: dict[str, str] = {}
"""Old command id → new id, so a key map from an earlier release keeps working."""


def load_keymap(path: Path) -> dict[str, list[str]]:
    """Read a user key map (versioned or the legacy bare object); a missing file is empty."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KeymapError(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise KeymapError(f"{path}: expected an object of command id → keys")
    if isinstance(data.get("version"), int):
        data = data.get("keys", {})
        if not isinstance(data, dict):
            raise KeymapError(f"{path}: 'keys' must be an object of command id → keys")
    out: dict[str, list[str]] = {}
    for k, v in data.items():
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise KeymapError(f"{path}: keys of {k!r} must be a string or a list of strings")
        out[RENAMED_COMMANDS.get(str(k), str(k))] = v
    return out


def keymap_overrides(registry: Registry, defaults: Registry) -> dict[str, list[str]]:
    """The bindings of ``registry`` that differ from ``defaults`` (what a key map stores)."""
    return {
        c.id: list(c.keys)
        for c in registry
        if c.id in defaults and defaults.get(c.id).keys != c.keys
    }


def save_keymap(path: Path, overrides: Mapping[str, Iterable[str]]) -> None:
    """Write ``overrides`` as a versioned key map (atomically)."""
    import os

    body = {
        "version": KEYMAP_VERSION,
        "keys": {cid: [normalize_sequence(k) for k in keys] for cid, keys in overrides.items()},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


class KeySequencer:
    """Turns a stream of chords into commands, handling multi-key sequences.

    ``feed`` returns the command id when a sequence completes, ``PENDING`` while
    a prefix waits for more keys, and ``None`` when the keys mean nothing (the
    pending prefix is then dropped).
    """

    PENDING = "…"

    def __init__(self, registry: Registry) -> None:
        self._table: dict[str, dict[str, str]] = {}
        self._prefixes: dict[str, set[str]] = {}
        for mode, pairs in registry.bindings().items():
            table = self._table.setdefault(mode, {})
            prefixes = self._prefixes.setdefault(mode, set())
            for keys, cid in pairs:
                table.setdefault(keys, cid)
                chords = keys.split(" ")
                for n in range(1, len(chords)):
                    prefixes.add(" ".join(chords[:n]))
        self._pending: list[str] = []

    @property
    def pending(self) -> str:
        """The keys typed so far of an unfinished sequence ('' when none)."""
        return " ".join(self._pending)

    def reset(self) -> None:
        """Forget a half-typed sequence."""
        self._pending = []

    def feed(self, chord: str, modes: Iterable[str]) -> str | None:
        """Add one chord; ``modes`` are the active modes, most specific first."""
        modes = tuple(modes)
        keys = " ".join([*self._pending, chord])
        for mode in modes:
            cid = self._table.get(mode, {}).get(keys)
            if cid is not None:
                self._pending = []
                return cid
        if any(keys in self._prefixes.get(m, ()) for m in modes):
            self._pending.append(chord)
            return self.PENDING
        had_prefix = bool(self._pending)
        self._pending = []
        if had_prefix:  # a wrong second key: try it alone
            return self.feed(chord, modes)
        return None


def fuzzy_score(query: str, text: str) -> float | None:
    """How well ``query``'s characters appear in order in ``text`` (higher is better);
    None when they do not. Word starts and contiguous runs score more."""
    q = query.lower().strip()
    if not q:
        return 0.0
    t = text.lower()
    score = 0.0
    pos = 0
    prev = -2
    for ch in q:
        if ch == " ":
            continue
        i = t.find(ch, pos)
        if i < 0:
            return None
        bonus = 1.0
        if i == prev + 1:
            bonus += 2.0
        if i == 0 or not t[i - 1].isalnum():
            bonus += 3.0
        score += bonus - 0.01 * (i - pos)
        prev = i
        pos = i + 1
    if q in t:
        score += 5.0
    return score


def search_commands(registry: Registry, query: str) -> list[Command]:
    """Commands whose title, keys, category or id match ``query``, best first."""
    ranked: list[tuple[float, int, Command]] = []
    for n, c in enumerate(registry):
        hay = [c.title, " ".join(c.keys), f"{c.category} {c.title}", c.id]
        scores = [s for s in (fuzzy_score(query, h) for h in hay) if s is not None]
        if scores:
            ranked.append((max(scores), -n, c))
    ranked.sort(key=lambda r: (r[0], r[1]), reverse=True)
    return [c for _, _, c in ranked]


def display_keys(keys: Iterable[str]) -> str:
    """Keys for people: ``j / Down``."""
    return " / ".join(keys)

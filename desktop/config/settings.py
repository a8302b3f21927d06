"""Application settings: each declared once (type, default, description), stored versioned.

The settings dialog is generated from :data:`SETTINGS`; values live in
``<data dir>/settings.json`` as ``{"version": N, ...}``. Older files are
migrated forward when read (the legacy unversioned file of release 0.1 held
only ``mark_read_on_open``); keys this release does not know are kept on save,
so a newer release's settings survive a round trip through an older one.
A new setting needs no new version: a file without it reads as its default.

No secret is ever a setting: ``database_url`` refuses a URL holding a
password (it goes to the system keyring, see ``store.db_password``).

Compatibility: ``mark_read_on_open`` is written as the window has always read
it — ``"now"``, ``"never"``, or the delay in seconds as a number — so
``WindowSettings.load`` keeps working on files written here.

:class:`Settings` holds the values, validates changes and tells subscribers
which names changed (the window applies them live). Nothing here imports Qt.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.paths import check_database_setting

SETTINGS_VERSION = 2
"""1: the unversioned file of release 0.1; 2: this layout."""


class SettingsError(ValueError):
    """A value that does not fit its declaration (the message says why)."""


@dataclass(frozen=True, slots=True)
class Setting:
    """One declared setting."""

    name: str
    kind: str
    """'bool', 'int', 'float', 'choice', 'languages' (a list of language codes) or
    'text' (a string, checked and normalised by ``check``)."""
    default: Any
    label: str
    description: str
    section: str = "General"
    choices: tuple[tuple[str, str], ...] = ()
    """For 'choice': (value, label) pairs."""
    minimum: float | None = None
    maximum: float | None = None
    suffix: str = ""
    check: Callable[[str], str] | None = None
    """For 'text': returns the value normalised, raises ValueError saying what is wrong."""
    placeholder: str = ""
    """For 'text': what the empty editor shows."""

    def coerce(self, value: Any) -> Any:
        """``value`` checked and converted to this setting's type (raises SettingsError)."""
        kind = self.kind
        try:
            if kind == "bool":
                if isinstance(value, str):
                    if value.lower() in ("1", "true", "yes", "on"):
                        return True
                    if value.lower() in ("0", "false", "no", "off"):
                        return False
                    raise ValueError(value)
                return bool(value)
            if kind in ("int", "float"):
                if isinstance(value, bool):
                    raise ValueError(value)
                number = int(value) if kind == "int" else float(value)
                if self.minimum is not None and number < self.minimum:
                    raise SettingsError(f"{self.name}: {number} is below {self.minimum}")
                if self.maximum is not None and number > self.maximum:
                    raise SettingsError(f"{self.name}: {number} is above {self.maximum}")
                return number
            if kind == "choice":
                value = str(value)
                if value not in {c for c, _ in self.choices}:
                    allowed = ", ".join(c for c, _ in self.choices)
                    raise SettingsError(f"{self.name}: {value!r} is not one of {allowed}")
                return value
            if kind == "languages":
                if isinstance(value, str):
                    value = value.replace(",", " ").split()
                codes = [str(v).strip().lower() for v in value if str(v).strip()]
                bad = [c for c in codes if not c.replace("-", "").isalpha() or len(c) > 8]
                if bad:
                    raise SettingsError(f"{self.name}: not language codes: {', '.join(bad)}")
                return list(dict.fromkeys(codes))
            if kind == "text":
                if not isinstance(value, str):
                    raise TypeError(value)
                if self.check is None:
                    return value.strip()
                try:
                    return self.check(value)
                except ValueError as exc:
                    raise SettingsError(f"{self.name}: {exc}") from None
        except SettingsError:
            raise
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"{self.name}: {value!r} is not a valid {kind}") from exc
        raise SettingsError(f"{self.name}: unknown kind {kind!r}")


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "theme",
        "choice",
        "system",
        "Theme",
        "Colours of the window: follow the system, or always light or dark.",
        "Appearance",
        (("system", "System"), ("light", "Light"), ("dark", "Dark")),
    ),
    Setting(
        "font_size",
        "int",
        0,
        "Font size",
        "Text size in points for the whole window; 0 uses the system's size.",
        "Appearance",
        minimum=0,
        maximum=32,
        suffix=" pt",
    ),
    Setting(
        "mark_read_on_open",
        "choice",
        "now",
        "Mark read on open",
        "When an article shown in the reading pane becomes read.",
        "Reading",
        (("now", "At once"), ("delay", "After a delay"), ("never", "Never (m marks read)")),
    ),
    Setting(
        "mark_read_delay",
        "float",
        2.0,
        "Mark read delay",
        "Seconds an article stays open before it is marked read (with 'After a delay').",
        "Reading",
        minimum=0.1,
        maximum=60,
        suffix=" s",
    ),
    Setting(
        "languages_shown",
        "languages",
        [],
        "Languages shown",
        "Only list articles in these languages (e.g. 'en de fr'), in the list and the "
        "sidebar; articles of unknown language stay listed. Empty shows every language.",
        "Reading",
    ),
    Setting(
        "retention_days",
        "int",
        0,
        "Purge read and archived articles after",
        "Delete articles that are read or archived and older than this many days "
        "(0 keeps everything). Flagged articles and articles with your own topics "
        "are never purged; a purged article cannot come back with the next fetch.",
        "Storage",
        minimum=0,
        maximum=3650,
        suffix=" days",
    ),
    Setting(
        "refresh_minutes",
        "int",
        60,
        "Refresh every",
        "Default interval between fetches of a source (a source's own interval wins).",
        "Sources",
        minimum=5,
        maximum=7 * 24 * 60,
        suffix=" min",
    ),
    Setting(
        "refresh_on_start",
        "bool",
        True,
        "Refresh on start",
        "Fetch the sources that are due when Newsdesk starts.",
        "Sources",
    ),
    Setting(
        "background_refresh",
        "bool",
        True,
        "Refresh in the background",
        "Fetch sources on their schedule while Newsdesk runs.",
        "Sources",
    ),
    Setting(
        "tray_icon",
        "bool",
        True,
        "Tray icon",
        "Show an icon with the unread count in the system tray (when the desktop has one).",
        "Notifications",
    ),
    Setting(
        "notifications",
        "bool",
        True,
        "Notifications",
        "A desktop notification when new articles match a rule marked 'notify'.",
        "Notifications",
    ),
    Setting(
        "database_url",
        "text",
        "",
        "Database",
        "Where this computer's Newsdesk keeps articles and triage: empty for the SQLite "
        "file in the data folder, a shared PostgreSQL as postgresql://user@host/db (the "
        "password goes to the system keyring, never into this file), or another SQLite "
        "file's path. --database and $NEWSDESK_DATABASE_URL win over it. Takes effect "
        "at the next start.",
        "Shared store",
        check=check_database_setting,
        placeholder="the SQLite file in the data folder",
    ),
)
"""Every setting, in dialog order."""

RESTART_NEEDED = frozenset({"database_url"})
"""Settings a running window does not follow: they take effect at the next start."""

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


def defaults() -> dict[str, Any]:
    """Every setting at its default."""
    return {
        s.name: (list(s.default) if isinstance(s.default, list) else s.default) for s in SETTINGS
    }


# -- file format --------------------------------------------------------------------


def _from_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Release 0.1: no version; ``mark_read_on_open`` was "now", "never" or seconds."""
    return dict(data)


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _from_v1}
"""Version N → function turning an N file's data into N+1's."""


def decode(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """File contents → (known values, unknown keys kept as they are, problems).

    Migrates forward from the file's version; values that do not fit their
    declaration fall back to the default and are reported.
    """
    body = dict(data)
    version = body.pop("version", 1)
    if not isinstance(version, int) or version < 1:
        version = 1
    while version < SETTINGS_VERSION:
        body = MIGRATIONS[version](body)
        version += 1
    values = defaults()
    extra: dict[str, Any] = {}
    problems: list[str] = []
    mark = body.get("mark_read_on_open")
    if isinstance(mark, int | float) and not isinstance(mark, bool):
        body["mark_read_on_open"] = "delay"
        body.setdefault("mark_read_delay", float(mark))
    for key, value in body.items():
        setting = BY_NAME.get(key)
        if setting is None:
            extra[key] = value
            continue
        try:
            values[key] = setting.coerce(value)
        except SettingsError as exc:
            problems.append(str(exc))
    return values, extra, problems


def encode(values: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Values → the JSON object written to ``settings.json`` (see module doc)."""
    out: dict[str, Any] = dict(extra or {})
    out["version"] = max(SETTINGS_VERSION, int(out.get("version", 0) or 0))
    for s in SETTINGS:
        out[s.name] = values.get(s.name, s.default)
    if out["mark_read_on_open"] == "delay":
        out["mark_read_on_open"] = float(out["mark_read_delay"])
    return out


Listener = Callable[[set[str]], None]


class Settings:
    """The current values, loaded from and saved to one file, with change listeners."""

    def __init__(self, path: Path | None, values: Mapping[str, Any] | None = None) -> None:
        self.path = path
        self._values = defaults()
        self._extra: dict[str, Any] = {}
        self.problems: list[str] = []
        self._listeners: list[Listener] = []
        if values:
            for k, v in values.items():
                self._values[k] = BY_NAME[k].coerce(v)

    @classmethod
    def load(cls, path: Path) -> Settings:
        """Read ``path`` (missing: defaults; unreadable: defaults and a problem)."""
        settings = cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return settings
        except (OSError, ValueError) as exc:
            settings.problems.append(f"{path.name} could not be read ({exc}); using defaults")
            return settings
        if not isinstance(data, dict):
            settings.problems.append(f"{path.name} is not a JSON object; using defaults")
            return settings
        settings._values, settings._extra, settings.problems = decode(data)
        if data.get("version") != SETTINGS_VERSION and not settings.problems:
            # migrated forward: write the new layout once (on a full or read-only
            # disk the next save writes it)
            with contextlib.suppress(OSError):
                settings.save()
        return settings

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self._values.get(name, default)

    def values(self) -> dict[str, Any]:
        """A copy of every value."""
        return dict(self._values)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(changed names)`` after each change; returns an unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def update(self, changes: Mapping[str, Any], *, save: bool = True) -> set[str]:
        """Validate and apply ``changes`` (all or nothing), save, notify; returns changed names."""
        checked: dict[str, Any] = {}
        for name, value in changes.items():
            if name not in BY_NAME:
                raise SettingsError(f"unknown setting {name!r}")
            checked[name] = BY_NAME[name].coerce(value)
        changed = {n for n, v in checked.items() if self._values.get(n) != v}
        if not changed:
            return changed
        before = dict(self._values)
        self._values.update(checked)
        if save:
            try:
                self.save()
            except OSError:
                self._values = before  # not saved: not applied either
                raise
        for listener in list(self._listeners):
            listener(changed)
        return changed

    def reset(self, names: Iterable[str] | None = None) -> set[str]:
        """Put ``names`` (default: all) back to their defaults."""
        base = defaults()
        return self.update({n: base[n] for n in (names or BY_NAME)})

    def save(self) -> None:
        """Write the file atomically (temporary file, then rename)."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            tmp.write_text(
                json.dumps(encode(self._values, self._extra), indent=2, ensure_ascii=False) + "\n",
                encoding="utf-8",
            )
            os.replace(tmp, self.path)
        except OSError:
            tmp.unlink(missing_ok=True)  # a full disk leaves no half-written file behind
            raise

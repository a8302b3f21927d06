"""The command registry, key maps, sequences, conflicts and fuzzy search (no Qt)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from desktop.commands import default_registry, load_registry
from desktop.commands.registry import (
    Command,
    KeymapError,
    KeySequencer,
    Registry,
    fuzzy_score,
    normalize_chord,
    normalize_sequence,
    search_commands,
)

ISSUE_DEFAULTS = {
    "nav.next": ("j", "Down"),
    "nav.previous": ("k", "Up"),
    "nav.space": ("Space",),
    "article.open": ("o", "Return", "Enter"),
    "article.open_original": ("v",),
    "triage.toggle_read": ("m",),
    "triage.toggle_flag": ("s",),
    "triage.archive": ("e",),
    "triage.unarchive": ("Shift+E",),
    "triage.mark_view_read": ("Shift+A",),
    "triage.select": ("x",),
    "triage.undo": ("u", "Ctrl+Z"),
    "triage.redo": ("Ctrl+Shift+Z",),
    "filter.search": ("/",),
    "filter.language": ("l",),
    "triage.edit_topics": ("t",),
    "filter.topic": ("Shift+T",),
    "source.refresh": ("r",),
    "source.refresh_all": ("Shift+R",),
    "view.inbox": ("g i",),
    "view.unread": ("g u",),
    "view.flagged": ("g s",),
    "view.archived": ("g e",),
    "view.all": ("g a",),
    "app.help": ("?",),
    "app.palette": ("Ctrl+K",),
    "filter.clear": ("Esc",),
}


def test_defaults_match_the_issue_and_do_not_conflict() -> None:
    registry = default_registry()
    for cid, keys in ISSUE_DEFAULTS.items():
        assert registry.get(cid).keys == keys, cid
    assert registry.conflicts() == []
    assert all(c.title and c.category for c in registry)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("j", "j"),
        ("J", "Shift+J"),
        ("shift+e", "Shift+E"),
        ("ctrl+shift+z", "Ctrl+Shift+Z"),
        ("Control+k", "Ctrl+K"),
        ("escape", "Esc"),
        ("space", "Space"),
        ("?", "?"),
        ("f5", "F5"),
        ("Ctrl++", "Ctrl++"),
    ],
)
def test_chords_normalise(raw: str, canonical: str) -> None:
    assert normalize_chord(raw) == canonical


def test_bad_keys_are_refused() -> None:
    for bad in ("", "Hyper+j", "Ctrl+Nope", "a b c d e"):
        with pytest.raises(KeymapError):
            normalize_sequence(bad)


def test_conflicts_same_keys_and_prefixes() -> None:
    r = Registry()
    r.add(Command("a", "A", "X", ("g",)))
    r.add(Command("b", "B", "X", ("g i",)))
    r.add(Command("c", "C", "X", ("z",)))
    r.add(Command("d", "D", "X", ("z",)))
    found = {(c.keys, c.command_ids) for c in r.conflicts()}
    assert ("z", ("c", "d")) in found
    assert ("g", ("a", "b")) in found


def test_user_keymap_overrides_and_makes_conflicts_visible(tmp_path: Path) -> None:
    path = tmp_path / "keymap.json"
    path.write_text(json.dumps({"triage.archive": ["a", "Del"], "nav.next": "n"}))
    registry = load_registry(path)
    assert registry.get("triage.archive").keys == ("a", "Del")
    assert registry.get("nav.next").keys == ("n",)
    # n was "next unread": now two commands share it
    assert [c.command_ids for c in registry.conflicts()] == [("nav.next", "nav.next_unread")]
    path.write_text(json.dumps({"no.such": ["q"]}))
    with pytest.raises(KeymapError):
        load_registry(path)
    path.write_text("[1, 2]")
    with pytest.raises(KeymapError):
        load_registry(path)
    assert load_registry(tmp_path / "absent.json").keymap() == default_registry().keymap()


def test_sequencer_handles_prefixes_modes_and_wrong_second_keys() -> None:
    s = KeySequencer(default_registry())
    modes = ("list", "global")
    assert s.feed("g", modes) == KeySequencer.PENDING
    assert s.pending == "g"
    assert s.feed("i", modes) == "view.inbox"
    assert s.feed("g", modes) == KeySequencer.PENDING
    assert s.feed("j", modes) == "nav.next"  # not a sequence: j alone
    assert s.feed("q", modes) is None
    assert s.feed("j", ("global",)) is None  # in a text field single keys do nothing
    assert s.feed("Ctrl+K", ("global",)) == "app.palette"


def test_fuzzy_search_over_names_and_keys() -> None:
    registry = default_registry()
    assert search_commands(registry, "arch")[0].id == "triage.archive"
    assert search_commands(registry, "g s")[0].id == "view.flagged"
    assert search_commands(registry, "undo")[0].id == "triage.undo"
    assert fuzzy_score("xyz", "archive") is None
    assert fuzzy_score("ar", "archive") > fuzzy_score("ar", "clear filters")


def test_commands_package_does_not_import_qt() -> None:
    import subprocess

    code = (
        "import sys, desktop.commands, desktop.commands.registry; "
        "desktop.commands.default_registry(); "
        "import desktop.store.counts; "
        "print(any(m.startswith('PySide6') for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        timeout=60,
    )
    assert out.stdout.strip() == "False", out.stderr

"""Every user action as a named command (Qt-free): the registry and its defaults."""

from __future__ import annotations

from pathlib import Path

from desktop.commands.registry import Registry, load_keymap


def default_registry() -> Registry:
    """Every command of the application with its default keys."""
    from desktop.commands import manage, navigation, triage

    registry = Registry()
    nav = navigation.COMMANDS
    registry.extend(manage.FILE_COMMANDS)
    registry.extend(c for c in nav if c.category == navigation.NAVIGATE)
    registry.extend(triage.COMMANDS)
    registry.extend(manage.SOURCE_COMMANDS)
    registry.extend(c for c in nav if c.category != navigation.NAVIGATE)
    return registry


def load_registry(keymap_path: Path | None = None) -> Registry:
    """The default registry with the user's key map (``keymap.json``) applied."""
    registry = default_registry()
    if keymap_path is not None:
        registry.rebind(load_keymap(keymap_path))
    return registry

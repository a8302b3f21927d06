"""Saved searches: a search text and filters kept under a name, with undo.

A saved search is one row of ``saved_searches`` (name, query). ``query`` is
the search text itself when only a text was saved (the form earlier releases
and scripts write), else a JSON object of the filters (:class:`SavedFilter`).
Saving, renaming and deleting record a ``search`` entry in ``triage_log``, so
``u`` undoes them like any triage action (:mod:`desktop.triage.actions`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from desktop.triage.changes import Changes

VIEW_NAMES = {
    "inbox": "Inbox",
    "unread": "Unread",
    "flagged": "Flagged",
    "archived": "Archive",
    "all": "All",
}


class SavedSearchError(ValueError):
    """A name that cannot be used (empty, or taken by another saved search)."""


@dataclass(frozen=True, slots=True)
class SavedFilter:
    """What a saved search restores: the search text and the filters beside it."""

    search: str = ""
    view: str | None = None
    language: str | None = None
    topic: str | None = None
    source_ids: tuple[int, ...] = ()
    folder: str | None = None

    @property
    def empty(self) -> bool:
        """Nothing to save (no text, no filter)."""
        return self == SavedFilter()

    def encode(self) -> str:
        """The ``query`` column: the bare text when only a text is set, else JSON."""
        if self.search and self == SavedFilter(search=self.search):
            return self.search
        data = {k: v for k, v in asdict(self).items() if v not in (None, "", ())}
        if "source_ids" in data:
            data["source_ids"] = list(data["source_ids"])
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def decode(cls, query: str) -> SavedFilter:
        """Read a ``query`` column (a bare text, or the JSON :meth:`encode` writes)."""
        text = query.strip()
        if text.startswith("{"):
            try:
                data = json.loads(text)
            except ValueError:
                data = None
            if isinstance(data, dict) and set(data) <= set(cls.__slots__):
                view = data.get("view")
                return cls(
                    search=str(data.get("search") or ""),
                    view=view if view in VIEW_NAMES else None,
                    language=data.get("language") or None,
                    topic=data.get("topic") or None,
                    source_ids=tuple(int(i) for i in data.get("source_ids") or ()),
                    folder=data.get("folder"),
                )
        return cls(search=query)


def describe_saved(query: str) -> str:
    """A saved search's filters in words (the sidebar's tooltip)."""
    f = SavedFilter.decode(query)
    parts = []
    if f.search:
        parts.append(f"“{f.search}”")
    if f.view:
        parts.append(VIEW_NAMES[f.view])
    if f.folder is not None:
        parts.append(f"folder {f.folder}")
    if f.source_ids:
        parts.append("source " + ", ".join(map(str, f.source_ids)))
    if f.language:
        parts.append(f"language {f.language}")
    if f.topic:
        parts.append(f"topic {f.topic}")
    return " · ".join(parts) or "everything"


def _row(conn: Any, name: str) -> tuple[str, str] | None:
    r = conn.exec_driver_sql(
        "SELECT name, query FROM saved_searches WHERE name = ?", (name,)
    ).fetchone()
    return (r[0], r[1]) if r else None


def _put(conn: Any, before: tuple[str, str] | None, after: tuple[str, str] | None) -> None:
    """Replace the row ``before`` (if any) with ``after`` (if any)."""
    if before is not None:
        conn.exec_driver_sql("DELETE FROM saved_searches WHERE name = ?", (before[0],))
    if after is not None:
        conn.exec_driver_sql(
            "INSERT INTO saved_searches (name, query) VALUES (?, ?) "
            "ON CONFLICT(name) DO UPDATE SET query = excluded.query",
            after,
        )


def _change(
    conn: Any, action: str, description: str, before: Any, after: Any, *, log: bool = True
) -> Changes:
    from desktop.triage.actions import log_action

    _put(conn, before, after)
    log_id = None
    if log:
        payload = {
            "kind": "search",
            "before": list(before) if before else None,
            "after": list(after) if after else None,
        }
        log_id = log_action(conn, action, description, payload)
    return Changes(fields=frozenset({"searches"}), description=description, log_id=log_id)


def save_search(conn: Any, name: str, query: str) -> Changes:
    """Save ``query`` as ``name`` (replacing a saved search of that name)."""
    name = name.strip()
    if not name:
        raise SavedSearchError("a saved search needs a name")
    if not query.strip():
        raise SavedSearchError("nothing to save: no search text and no filter")
    before = _row(conn, name)
    if before == (name, query):
        return Changes(fields=frozenset({"searches"}), description=f"“{name}” already saved")
    return _change(conn, "save-search", f"save search “{name}”", before, (name, query))


def rename_search(conn: Any, old: str, new: str) -> Changes:
    """Rename a saved search; the new name must be free."""
    new = new.strip()
    if not new:
        raise SavedSearchError("a saved search needs a name")
    before = _row(conn, old)
    if before is None:
        raise SavedSearchError(f"no saved search named “{old}”")
    if new == old:
        return Changes(fields=frozenset({"searches"}))
    if _row(conn, new) is not None:
        raise SavedSearchError(f"a saved search named “{new}” exists already")
    conn.exec_driver_sql("UPDATE saved_searches SET name = ? WHERE name = ?", (new, old))
    from desktop.triage.actions import log_action

    payload = {"kind": "search", "before": list(before), "after": [new, before[1]]}
    description = f"rename search “{old}” to “{new}”"
    log_id = log_action(conn, "rename-search", description, payload)
    return Changes(fields=frozenset({"searches"}), description=description, log_id=log_id)


def delete_search(conn: Any, name: str) -> Changes:
    """Delete a saved search (undo brings it back)."""
    before = _row(conn, name)
    if before is None:
        raise SavedSearchError(f"no saved search named “{name}”")
    return _change(conn, "delete-search", f"delete search “{name}”", before, None)


def reverse(conn: Any, payload: dict[str, Any]) -> None:
    """Undo a logged ``search`` entry."""
    before = tuple(payload["before"]) if payload["before"] else None
    after = tuple(payload["after"]) if payload["after"] else None
    _put(conn, after, before)


def replay(conn: Any, payload: dict[str, Any]) -> None:
    """Redo a logged ``search`` entry."""
    before = tuple(payload["before"]) if payload["before"] else None
    after = tuple(payload["after"]) if payload["after"] else None
    _put(conn, before, after)

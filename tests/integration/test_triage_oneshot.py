"""The triage commit path on a shared store (issue #7): few round trips, no thread hop.

* ``Newsdesk.mark`` / ``undo`` on PostgreSQL are one statement each without
  ``BEGIN``/``COMMIT`` (``triage.oneshot``), and do exactly what the general path
  does on SQLite: same state, counts, log entries, ``Changes``, undo and redo;
* an undo whose latest entry is a tag word still runs the general path;
* ``Database.write`` runs in the calling thread when the writer is idle, and
  behind anything queued otherwise (order kept);
* ingest on PostgreSQL upserts a source's entries in one statement: one ``new``
  notice per source, and an entry key given twice keeps its last entry.

Real SQLite files and a throwaway PostgreSQL (the ``database`` fixture).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import event

from desktop.paths import DataPaths
from desktop.service import Newsdesk
from desktop.store import counts
from desktop.store.ingest import write_entries
from desktop.timeutil import now_iso
from tests.support.factories import add_source, entry, ingest


def _log(desk: Newsdesk) -> list[tuple[Any, ...]]:
    return desk.db.read(
        lambda c: [
            (r[0], r[1], __import__("json").loads(r[2]), r[3])
            for r in c.exec_driver_sql(
                "SELECT action, description, payload, undone FROM triage_log "
                "WHERE person_id = ? ORDER BY id",
                (desk.db.person_id,),
            )
        ]
    )


def _statements(desk: Newsdesk) -> list[str]:
    seen: list[str] = []

    def grab(_conn, _cursor, statement, _parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(desk.db._engine, "before_cursor_execute", grab)
    return seen


def test_mark_and_undo_do_what_the_general_path_does(store_desk) -> None:
    desk = store_desk
    postgres = desk.db.dialect == "postgresql"
    s1, s2 = add_source(desk, "https://a.org/f", "A"), add_source(desk, "https://b.org/f", "B")
    a = ingest(desk, s1, [entry(f"a{i}") for i in range(4)])
    b = ingest(desk, s2, [entry(f"b{i}") for i in range(2)])
    # a story folding a[0] and b[0]: a mark on one applies to both
    desk.db.write(
        lambda c: c.exec_driver_sql(
            "UPDATE articles SET story_id = ? WHERE id IN (?, ?)", (a[0], a[0], b[0])
        )
    )
    seen = _statements(desk)
    ch = desk.mark([a[0]], "flag")
    assert (ch.article_ids, ch.source_ids, ch.fields) == (
        frozenset({a[0], b[0]}),
        frozenset({s1, s2}),
        frozenset({"flagged"}),
    )
    assert ch.log_id is not None and ch.description == ""
    assert len(seen) == (1 if postgres else 6)  # SQLite: BEGIN IMMEDIATE + 5; PostgreSQL: 1
    again = desk.mark([a[0]], "flag")  # nothing changes: nothing logged
    assert again.empty and again.fields == frozenset({"flagged"}) and again.log_id is None
    only = desk.mark([a[1]], "read", whole_story=False)
    assert only.article_ids == frozenset({a[1]})
    assert desk.article(a[0])["flagged"] and desk.article(b[0])["flagged"]
    assert desk.db.read(counts.recount) == desk.db.read(counts.stored_counts)
    assert [(x[0], x[1], x[2], x[3]) for x in _log(desk)] == [
        ("flag", "flag 2", {"kind": "state", "column": "flagged", "value": 1,
                            "ids": sorted([a[0], b[0]])}, 0),
        ("read", "read 1", {"kind": "state", "column": "read", "value": 1, "ids": [a[1]]}, 0),
    ]  # fmt: skip
    seen.clear()
    undone = desk.undo()
    assert undone is not None and len(seen) == (1 if postgres else 5)
    assert (undone.article_ids, undone.source_ids, undone.fields, undone.description) == (
        frozenset({a[1]}),
        frozenset({s1}),
        frozenset({"read"}),
        "undo read 1",
    )
    assert not desk.article(a[1])["read"]
    assert desk.redo() is not None and desk.article(a[1])["read"]
    assert desk.undo() is not None and desk.undo() is not None  # the read, then the flag
    assert not desk.article(b[0])["flagged"] and not desk.article(a[1])["read"]
    desk.mark([a[2]], "archive")  # discards the two undone entries
    assert [x[3] for x in _log(desk)] == [2, 2, 0]
    assert desk.undo() is not None and desk.undo() is None  # nothing left
    assert desk.db.read(counts.recount) == desk.db.read(counts.stored_counts)


def test_undo_of_a_tag_word_takes_the_general_path(store_desk) -> None:
    desk = store_desk
    ids = ingest(desk, add_source(desk), [entry("x"), entry("y")])
    desk.mark([ids[0]], "read")
    desk.tag([ids[1]], "economy", True)
    undone = desk.undo()
    assert undone is not None and undone.fields == frozenset({"tags"})
    assert "economy" not in (desk.article(ids[1])["tags"] or [])
    assert desk.article(ids[0])["read"]  # the tag's undo did not touch the mark
    assert desk.undo() is not None and not desk.article(ids[0])["read"]


def test_a_write_runs_in_the_callers_thread_when_the_writer_is_idle(store_desk) -> None:
    db = store_desk.db
    where: list[str] = []
    db.write(lambda _c: where.append(threading.current_thread().name))
    assert where == [threading.current_thread().name]
    # a write issued behind a queued one waits for it: order and one-at-a-time kept
    release = threading.Event()
    order: list[str] = []

    def slow(_conn: Any) -> None:
        release.wait(5)
        order.append("queued")

    first = db.submit(slow)
    done = threading.Event()

    def later() -> None:
        db.write(lambda _c: order.append("later"))
        done.set()

    threading.Thread(target=later).start()
    time.sleep(0.1)
    assert order == [] and not done.is_set()
    release.set()
    first.result(5)
    assert done.wait(5) and order == ["queued", "later"]


def test_ingest_sends_one_notice_per_source_and_keeps_a_repeated_keys_last_entry(
    tmp_path, database
) -> None:
    desk = Newsdesk.open(DataPaths(tmp_path / "a"), database)
    try:
        src = add_source(desk)
        heard: list[Any] = []
        other = None
        if database is not None:
            other = Newsdesk.open(DataPaths(tmp_path / "b"), database)
            assert other.listen(heard.extend).wait_listening()
        twice = [entry("k0", "First"), entry("k1"), entry("k0", "Second"), entry("k2")]
        result = desk.db.write(write_entries, src, twice, now_iso())
        assert result.updated == 0 and len(result.new_ids) == 3
        titles = desk.db.read(
            lambda c: [
                tuple(r)
                for r in c.exec_driver_sql(
                    "SELECT entry_key, title FROM articles ORDER BY id"
                ).fetchall()
            ]
        )
        assert titles == [("k0", "Second"), ("k1", "Title k1"), ("k2", "Title k2")]
        more = ingest(desk, src, [entry(f"m{i}") for i in range(30)])
        assert more == sorted(more) and len(more) == 30
        if other is not None:
            end = time.monotonic() + 3
            while time.monotonic() < end and not any(
                n.kind == "new" and set(more) <= n.ids for n in heard
            ):
                time.sleep(0.02)
            new = [n for n in heard if n.kind == "new"]
            assert [n.ids for n in new] == [frozenset(result.new_ids), frozenset(more)]
            other.close()
    finally:
        desk.close()

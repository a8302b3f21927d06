"""The sample feeds and the starter list that a new user is offered.

Samples ship in ``resources/samples`` (built by ``scripts/build_samples.py``,
CC BY-SA 4.0, see its LICENSE.md). Loading them copies each feed into
``<data dir>/samples/`` with its dates moved so the newest item is a few
minutes old, subscribes to the copies as ``file://`` sources in the folder
"Samples" and lets the ordinary refresh path (fetch → parse → sanitise →
store, then enrichment) do the rest: nothing is written to the database here
that a real feed could not produce. The copies also keep the sources working
after an upgrade moves the installed resources.

``starter.opml`` lists well-known public news feeds; it is only ever offered
(``starter_opml``), never subscribed on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

from desktop.paths import resources_dir
from desktop.timeutil import utcnow

SAMPLE_FOLDER = "Samples"
_RFC822 = re.compile(r"<pubDate>([^<]+)</pubDate>")
_ISO = re.compile(r"<(published|updated)>(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)</\1>")
_ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def samples_dir() -> Path:
    """Where the shipped sample feeds are."""
    return resources_dir() / "samples"


def sample_files() -> list[Path]:
    """The shipped sample feeds, in a stable order."""
    return sorted(p for p in samples_dir().glob("*.xml"))


def starter_opml() -> bytes:
    """The starter list of well-known public news feeds (an OPML document)."""
    return (samples_dir() / "starter.opml").read_bytes()


def _newest(texts: list[str]) -> datetime | None:
    found: list[datetime] = []
    for text in texts:
        for m in _RFC822.finditer(text):
            try:
                found.append(parsedate_to_datetime(m.group(1)))
            except (TypeError, ValueError):
                continue
        for m in _ISO.finditer(text):
            found.append(datetime.strptime(m.group(2), _ISO_FORMAT).replace(tzinfo=UTC))
    return max(found) if found else None


def shift_dates(text: str, delta: timedelta) -> str:
    """Move every item date of an RSS or Atom sample by ``delta``."""

    def rfc(m: re.Match[str]) -> str:
        try:
            when = parsedate_to_datetime(m.group(1)) + delta
        except (TypeError, ValueError):
            return m.group(0)
        return f"<pubDate>{format_datetime(when.astimezone(UTC))}</pubDate>"

    def iso(m: re.Match[str]) -> str:
        when = datetime.strptime(m.group(2), _ISO_FORMAT).replace(tzinfo=UTC) + delta
        return f"<{m.group(1)}>{when.strftime(_ISO_FORMAT)}</{m.group(1)}>"

    return _ISO.sub(iso, _RFC822.sub(rfc, text))


def install_samples(target: Path, now: datetime | None = None) -> list[Path]:
    """Copy the sample feeds into ``target`` with fresh dates; returns the copies."""
    sources = sample_files()
    texts = [p.read_text(encoding="utf-8") for p in sources]
    newest = _newest(texts)
    now = now or utcnow()
    delta = (now - timedelta(minutes=3) - newest) if newest else timedelta(0)
    delta = timedelta(minutes=int(delta.total_seconds() // 60))
    target.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    for path, text in zip(sources, texts, strict=True):
        copy = target / path.name
        copy.write_text(shift_dates(text, delta), encoding="utf-8")
        out.append(copy)
    return out


@dataclass(slots=True)
class SamplesAdded:
    """Sources the samples created (or found already subscribed)."""

    source_ids: list[int] = field(default_factory=list)
    already: int = 0


def subscribe_samples(conn: Any, urls: list[str]) -> SamplesAdded:
    """Subscribe to ``urls`` in the Samples folder (on the writer); existing ones are reused."""
    from desktop.timeutil import now_iso

    added = SamplesAdded()
    for url in urls:
        row = conn.exec_driver_sql("SELECT id FROM sources WHERE url = ?", (url,)).fetchone()
        if row:
            added.source_ids.append(int(row[0]))
            added.already += 1
            continue
        cur = conn.exec_driver_sql(
            "INSERT INTO sources (url, title, folder, created_at) VALUES (?, '', ?, ?) "
            "RETURNING id",
            (url, SAMPLE_FOLDER, now_iso()),
        )
        added.source_ids.append(int(cur.scalar_one()))
    return added


def add_samples(desk: Any) -> list[int]:
    """Install the sample copies under the data folder and subscribe to them; source ids."""
    copies = install_samples(desk.paths.root / "samples")
    return desk.db.write(subscribe_samples, [p.resolve().as_uri() for p in copies]).source_ids


@dataclass(slots=True)
class SamplesReport:
    """What loading the samples did; ``enrich_error`` is set when enrichment failed."""

    source_ids: list[int]
    refresh: Any
    enriched: int = 0
    enrich_error: str | None = None


async def load_samples(desk: Any, *, pool: str = "thread", progress: Any = None) -> SamplesReport:
    """Subscribe to the samples, fetch them through the real refresh, then enrich.

    An enrichment failure does not lose the articles: it is reported in
    ``enrich_error`` and the articles stay, untagged.
    """
    import asyncio

    ids = await asyncio.to_thread(add_samples, desk)
    report = await desk.refresh(ids, pool=pool, progress=progress)
    out = SamplesReport(ids, report)
    try:
        out.enriched, _ = await asyncio.to_thread(desk.enrich_pending)
    except Exception as exc:  # enrichment is someone else's module: report, keep going
        out.enrich_error = f"{type(exc).__name__}: {exc}"
    return out

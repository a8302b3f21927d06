"""Take a screenshot of the real window on sample data: ``docs/screenshot.png``.

    python scripts/screenshot.py [--out docs/screenshot.png] [--keep DIR]

Builds a sample data folder (real ingest code; languages, topics and one story
folded from three outlets set the way enrichment would), opens the real
window offscreen (or on $DISPLAY when QT_QPA_PLATFORM=xcb), selects an
article and grabs the window.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

NOW = datetime.now(UTC).replace(microsecond=0)

SOURCES = [
    ("https://wire.example/world.rss", "Global Wire", "World"),
    ("https://planet.example/rss", "Daily Planet", "World"),
    ("https://lemonde.example/rss", "Le Quotidien", "World"),
    ("https://zeitung.example/feed", "Morgenzeitung", "Europe"),
    ("https://harbour.example/atom", "Harbour Gazette", None),
]

# (source index, minutes ago, title, body, language, topics, story key)
ARTICLES = [
    (
        0,
        4,
        "Storm closes the northern harbour for a second day",
        "Port authorities kept the northern harbour closed as gale-force winds continued. "
        "Ferries were cancelled and cargo ships waited offshore.",
        "en",
        ["weather", "transport"],
        "storm",
    ),
    (
        1,
        9,
        "Harbour stays shut as storm lingers",
        "The storm kept the harbour closed.",
        "en",
        ["weather"],
        "storm",
    ),
    (
        4,
        12,
        "Second day of closures at the harbour",
        "Closures continued at the harbour.",
        "en",
        ["weather"],
        "storm",
    ),
    (
        2,
        18,
        "Les marchés européens reculent après les chiffres de l'inflation",
        "Les bourses européennes ont reculé mardi après la publication des chiffres de "
        "l'inflation.",
        "fr",
        ["economy", "markets"],
        None,
    ),
    (
        3,
        26,
        "Bundestag debattiert über das neue Klimagesetz",
        "Der Bundestag hat am Dienstag über das neue Klimagesetz debattiert.",
        "de",
        ["politics", "climate"],
        None,
    ),
    (
        0,
        41,
        "Central bank holds rates, signals patience",
        "The central bank left interest rates unchanged and said it would wait for more data.",
        "en",
        ["economy"],
        None,
    ),
    (
        1,
        57,
        "City council approves new tram line to the airport",
        "The council approved the long-debated tram line.",
        "en",
        ["transport", "politics"],
        None,
    ),
    (
        2,
        75,
        "Élections régionales : la participation en hausse",
        "La participation aux élections régionales est en hausse.",
        "fr",
        ["politics"],
        None,
    ),
    (
        4,
        96,
        "Fishing fleet returns with record catch",
        "The local fishing fleet returned with a record catch of herring.",
        "en",
        ["economy"],
        None,
    ),
    (
        3,
        130,
        "Neue Studie: Nordsee erwärmt sich schneller als erwartet",
        "Die Nordsee erwärmt sich laut einer neuen Studie schneller als erwartet.",
        "de",
        ["climate", "science"],
        None,
    ),
    (
        0,
        170,
        "Tech shares rally on strong chip demand",
        "Chipmakers led a broad rally in technology shares.",
        "en",
        ["markets", "technology"],
        None,
    ),
    (
        1,
        220,
        "Museum reopens after two-year renovation",
        "The city museum reopened its doors after a two-year renovation.",
        "en",
        ["culture"],
        None,
    ),
    (
        2,
        300,
        "Grève dans les transports : le trafic perturbé jeudi",
        "Le trafic sera perturbé jeudi en raison d'une grève.",
        "fr",
        ["transport"],
        None,
    ),
    (
        0,
        420,
        "Parliament passes budget after all-night session",
        "Lawmakers passed the budget after an all-night session.",
        "en",
        ["politics", "economy"],
        None,
    ),
    (
        3,
        600,
        "Bahn kündigt neue Schnellverbindung nach Kopenhagen an",
        "Die Bahn kündigt eine neue Schnellverbindung an.",
        "de",
        ["transport"],
        None,
    ),
    (
        4,
        900,
        "Lighthouse restoration wins heritage award",
        "The restored lighthouse won a national heritage award.",
        "en",
        ["culture"],
        None,
    ),
    (
        1,
        1300,
        "Researchers map the seabed off the coast in 3D",
        "A research vessel produced the first 3D map of the seabed.",
        "en",
        ["science"],
        None,
    ),
    (
        0,
        2000,
        "Energy prices fall for third month",
        "Household energy prices fell for the third month in a row.",
        "en",
        ["economy"],
        None,
    ),
]


def build_sample(root: Path) -> None:
    """Fill a data folder with the sample sources and articles."""
    from desktop.paths import DataPaths
    from desktop.service import Newsdesk, _insert_source
    from desktop.sources.prepare import content_hash
    from desktop.store.ingest import PreparedEntry, write_entries
    from desktop.timeutil import to_iso

    with Newsdesk.open(DataPaths(root)) as desk:
        ids = [
            desk.db.write(_insert_source, url, title, folder, None)
            for url, title, folder in SOURCES
        ]
        stories: dict[str, list[int]] = {}
        meta: list[tuple[int, str, list[str]]] = []
        for n, (src, ago, title, body, lang, topics, story) in enumerate(ARTICLES):
            html = f"<p>{body}</p><p>{body}</p>"
            e = PreparedEntry(
                entry_key=f"e{n}",
                guid=f"e{n}",
                url=f"{SOURCES[src][0].rsplit('/', 1)[0]}/a{n}",
                canonical_url=None,
                title=title,
                author=None,
                published=to_iso(NOW - timedelta(minutes=ago)),
                updated=None,
                content_html=html,
                text=body,
                content_hash=content_hash(title, html),
                categories=[],
                feed_language=None,
            )
            new = desk.db.write(write_entries, ids[src], [e], to_iso(NOW)).new_ids
            meta.append((new[0], lang, topics))
            if story:
                stories.setdefault(story, []).append(new[0])

        def enrich(conn: Any) -> None:
            for article_id, lang, topics in meta:
                conn.exec_driver_sql(
                    "UPDATE articles SET language = ?, title_language = ? WHERE id = ?",
                    (lang, lang, article_id),
                )
                for tag in topics:
                    conn.exec_driver_sql(
                        "INSERT INTO tags (article_id, tag, origin, score, removed, created_at) "
                        "VALUES (?, ?, 'model', 0.8, 0, ?)",
                        (article_id, tag, to_iso(NOW)),
                    )
            for members in stories.values():
                conn.exec_driver_sql(
                    "UPDATE articles SET story_id = ? WHERE id IN (SELECT value FROM json_each(?))",
                    (members[0], str(members)),
                )
            conn.exec_driver_sql(
                "UPDATE triage SET read = 1 WHERE article_id IN (SELECT value FROM json_each(?))",
                (str([m[0] for m in meta[9:]]),),
            )
            conn.exec_driver_sql(
                "UPDATE triage SET flagged = 1 WHERE article_id IN (?, ?)",
                (meta[5][0], meta[13][0]),
            )
            conn.exec_driver_sql(
                "UPDATE sources SET last_error = ? WHERE id = ?",
                ("HTTP 503 Service Unavailable (retrying in 20 min)", ids[4]),
            )

        desk.db.write(enrich)


def wait_until(predicate: Any, timeout: float = 10.0) -> None:
    """Process Qt events until ``predicate()`` holds."""
    import time

    from desktop.ui.qt import QApplication

    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise SystemExit("timed out waiting for the window")
        QApplication.processEvents()
        time.sleep(0.01)


def take(root: Path, out: Path) -> None:
    """Open the window on ``root``, select an article, save a PNG of the window."""
    from desktop.app import build_window, make_application
    from desktop.paths import DataPaths
    from desktop.service import Newsdesk
    from desktop.ui.main_window import WindowSettings
    from desktop.ui.qt import QApplication

    app = make_application()
    paths = DataPaths(root)
    window = build_window(paths, settings=WindowSettings(mark_read_on_open="never"))
    desk = Newsdesk.open(paths)
    window.resize(1360, 820)
    window.show()
    window.attach(desk)
    wait_until(lambda: window.model.rowCount() > 0 and window.counts is not None)
    window.run_command("nav.next")
    window.run_command("nav.previous")
    wait_until(lambda: window.reader.article_id is not None)
    window.run_command("story.expand")
    wait_until(lambda: window.model.rowCount(window.model.index(0, 0)) > 0)
    for _ in range(5):
        app.processEvents()
    out.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(out)):
        raise SystemExit(f"could not write {out}")
    window.close()
    window.tasks.close()
    desk.close()
    QApplication.processEvents()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshot.png"))
    parser.add_argument("--keep", help="build the sample in this folder and keep it")
    args = parser.parse_args()
    if args.keep:
        root = Path(args.keep)
        root.mkdir(parents=True, exist_ok=True)
        build_sample(root)
        take(root, Path(args.out))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            build_sample(Path(tmp))
            take(Path(tmp), Path(args.out))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

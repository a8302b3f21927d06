"""Write tests/fixtures/db/schema-vN.sqlite3: a small database as this release makes it.

Run once per schema version (at release time); later releases must open every
such file without losing its triage state or user tags.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from desktop.paths import DataPaths  # noqa: E402
from desktop.service import Newsdesk  # noqa: E402
from desktop.store import migrations  # noqa: E402
from tests.support.factories import add_source, entry, ingest  # noqa: E402


def main() -> None:
    target = REPO / "tests" / "fixtures" / "db" / f"schema-v{migrations.LATEST}.sqlite3"
    tmp = target.parent / "tmp-build"
    tmp.mkdir(parents=True, exist_ok=True)
    with Newsdesk.open(DataPaths(tmp)) as desk:
        sid = add_source(desk, "https://example.org/feed.xml", "Example", "News")
        ids = ingest(desk, sid, [entry(f"e{i}") for i in range(5)])
        desk.mark(ids[:2], "flag")
        desk.mark(ids[2:3], "read")
        desk.tag(ids[:1], "kept-by-user", True)
    (tmp / "newsdesk.sqlite3").replace(target)
    for p in tmp.iterdir():
        p.unlink()
    tmp.rmdir()
    print(target)


if __name__ == "__main__":
    main()

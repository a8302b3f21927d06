"""Prepared entries cross the process pool by pickle: every field must survive the trip."""

from __future__ import annotations

import pickle
from dataclasses import fields

from desktop.sources.prepare import PreparedFeed, prepare_feed
from desktop.store.ingest import PreparedEntry

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>T</title><link>https://example.org/</link>
<item><title>One &amp; two</title><link>https://example.org/a</link><guid>g1</guid>
<category>x</category><category>y</category>
<description>&lt;p&gt;Hello &lt;b&gt;world&lt;/b&gt;&lt;/p&gt;</description>
<pubDate>Tue, 03 Jun 2025 09:39:21 GMT</pubDate></item>
<item><title>No link</title><description>plain</description></item>
</channel></rss>"""


def test_every_field_survives_a_pickle_round_trip() -> None:
    feed = prepare_feed(RSS, "https://example.org/feed", None, "2026-01-01T00:00:00Z")
    assert feed.error is None and len(feed.entries) == 2
    back = pickle.loads(pickle.dumps(feed))
    assert isinstance(back, PreparedFeed)
    assert back == feed
    for before, after in zip(feed.entries, back.entries, strict=True):
        assert type(after) is PreparedEntry
        for f in fields(PreparedEntry):
            assert getattr(after, f.name) == getattr(before, f.name), f.name
    assert back.entries[0].categories == ["x", "y"]
    assert back.entries[0].text == "Hello world"

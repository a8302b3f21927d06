"""Find the feeds a web page points to (feed autodiscovery)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

__all__ = ["DiscoveredFeed", "find_feeds"]

_TYPES = {
    "application/rss+xml": "rss",
    "application/atom+xml": "atom",
    "application/rdf+xml": "rdf",
    "application/feed+json": "json",
    "application/json": "json",
    "application/x.atom+xml": "atom",
    "application/x-atom+xml": "atom",
}
_FEED_NAMES = frozenset({"rss", "rss2", "atom", "feed", "feeds", "rdf", "feed.json", "index.xml"})
_FEED_FILE = re.compile(r"(?:rss|atom|feed|rdf)[\w.-]*\.(?:xml|json)$|\.(?:rss|atom|rdf)$", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9._-]+)""", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DiscoveredFeed:
    """A feed a page links to. ``kind`` is 'rss', 'atom', 'rdf', 'json' or 'unknown'."""

    url: str
    title: str | None
    kind: str


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.declared: list[tuple[str, str | None, str]] = []
        self.anchors: list[tuple[str, str]] = []
        self._anchor: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "base" and self.base is None and a.get("href"):
            self.base = a["href"].strip()
        elif tag == "link":
            rels = a.get("rel", "").lower().split()
            kind = _TYPES.get(a.get("type", "").split(";")[0].strip().lower())
            if "alternate" in rels and kind and a.get("href", "").strip():
                self.declared.append((a["href"].strip(), a.get("title") or None, kind))
        elif tag == "a" and a.get("href"):
            self._anchor = a["href"].strip()
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._anchor is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._anchor is not None:
            self.anchors.append((self._anchor, " ".join("".join(self._text).split())))
            self._anchor = None


def _decode(page: bytes) -> str:
    match = _META_CHARSET.search(page[:4096])
    for encoding in (match.group(1).decode("ascii") if match else None, "utf-8"):
        if encoding:
            try:
                return page.decode(encoding)
            except (LookupError, UnicodeDecodeError):
                continue
    return page.decode("cp1252", errors="replace")


def _kind_from_url(url: str) -> str:
    lower = url.lower()
    if "atom" in lower:
        return "atom"
    if lower.endswith(".json") or "json" in lower:
        return "json"
    if "rdf" in lower:
        return "rdf"
    if "rss" in lower:
        return "rss"
    return "unknown"


def _looks_like_feed(href: str) -> bool:
    path = urlsplit(href).path.rstrip("/")
    last = path.rsplit("/", 1)[-1].lower()
    return last in _FEED_NAMES or bool(_FEED_FILE.search(last))


def find_feeds(html: bytes | str, base_url: str) -> list[DiscoveredFeed]:
    """Feeds declared by ``<link rel="alternate">`` first, then feed-looking ``<a>`` links.

    URLs are resolved against ``<base href>`` (itself resolved against
    ``base_url``) and de-duplicated; only http(s) URLs are returned.
    """
    text = _decode(html) if isinstance(html, bytes) else html
    collector = _Collector()
    try:
        collector.feed(text)
        collector.close()
    except (AssertionError, ValueError):  # pathological markup: keep what was found
        pass
    base = urljoin(base_url, collector.base) if collector.base else base_url
    found: list[DiscoveredFeed] = []
    seen: set[str] = set()

    def keep(href: str, title: str | None, kind: str) -> None:
        try:
            url = urljoin(base, href)
        except ValueError:
            return
        url = url.split("#", 1)[0]
        if urlsplit(url).scheme not in ("http", "https") or url in seen or url.rstrip("/") in seen:
            return
        seen.add(url)
        found.append(DiscoveredFeed(url=url, title=title, kind=kind))

    for href, title, kind in collector.declared:
        keep(href, title, kind)
    seen.update(url.rstrip("/") for url in list(seen))
    for href, label in collector.anchors:
        href = href.split("#", 1)[0]
        if href and _looks_like_feed(href):
            keep(href, label or None, _kind_from_url(href))
    return found

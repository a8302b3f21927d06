"""Turn the bytes of a feed document into a :class:`ParsedFeed`.

Design: the common path is *fastfeedparser* (lxml plus a native extractor,
~30x faster than feedparser) on bytes we first normalise to UTF-8; feedparser
is the fallback when fastfeedparser refuses a document or its output looks
incomplete (no entries although the document has items, missing dates although
the document has date elements, relative links under nested ``xml:base``).
JSON Feed is read directly with :mod:`json`.

Security: neither parser expands entities from a DTD or reads external
entities (lxml runs with ``resolve_entities=False``/``no_network``; feedparser
strips the DOCTYPE and Python's expat refuses external entities and caps
entity amplification). HTML is *not* sanitised here: ``enrich.sanitize`` does
that before storage.
"""

from __future__ import annotations

import codecs
import hashlib
import html
import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from desktop.sources.feed import FeedParseError, ParsedEntry, ParsedFeed

__all__ = ["parse_feed", "prepare_xml_bytes"]

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_XML_DECL = re.compile(rb"^<\?xml[^>]*?\?>", re.IGNORECASE)
_DECL_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""", re.IGNORECASE)
_CT_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_ROOT = re.compile(
    rb"<(?![?!])(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)",
)
_SKIP_PROLOG = re.compile(
    rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>\s*)*", re.S
)
_HTML_HINT = re.compile(rb"\s*(?:<!--.*?-->\s*)*<!doctype\s+html", re.IGNORECASE | re.S)
_RSS_LANGUAGE = re.compile(
    rb"<(?:dc:)?language>\s*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*)\s*</(?:dc:)?language>",
    re.IGNORECASE,
)
_ROOT_LANG = re.compile(rb"""xml:lang\s*=\s*["']([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*)["']""")
_ROOT_BASE = re.compile(rb"""xml:base\s*=\s*["']([^"']*)["']""")
_DATE_TAGS = re.compile(
    rb"<(?:pubDate|dc:date|published|updated|issued|modified|created)[\s>]", re.IGNORECASE
)
_XHTML_TITLE = re.compile(rb"""<title[^>]*type=["']xhtml""")
_HEAD_TITLE = re.compile(rb"<(?:dc:)?title(?:\s[^>]*)?>([^<]+)</", re.IGNORECASE)
_ITEM_TAGS = re.compile(rb"<(?:\w+:)?(?:item|entry)[\s>]", re.IGNORECASE)
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# One pattern per attribute, each starting with a literal: the regex engine then
# skips ahead with a fast substring search (an alternation here is ~10x slower).
# Lower-case only; sanitize_html resolves any rest against the entry URL.
_RELATIVE_ATTRS = tuple(
    re.compile(rf"""({name}\s*=\s*)(["'])(?![A-Za-z][A-Za-z0-9+.-]*:|#)([^"']*)\2""")
    for name in ("href", "src")
)
_TITLE_TAG = re.compile(
    r"<(script|style|iframe|object|noscript)\b.*?</\1\s*>|"
    r"</?(?:a|abbr|b|big|br|cite|code|del|dfn|div|em|font|h[1-6]|hr|i|iframe|img|ins|kbd|"
    r"mark|p|q|s|samp|small|span|strike|strong|sub|sup|tt|u|var|wbr|script|style|object)"
    r"\b[^<>]*>",
    re.IGNORECASE | re.S,
)
_WS = re.compile(r"\s+")
_NEEDS_ESCAPE = frozenset("&<>\"'")
_LEADING_WS = re.compile(rb"\s+")
_NON_BLANK = re.compile(rb"[^\s\x00\xef\xbb\xbf\xff\xfe]")
_WESTERN = frozenset({"cp1252", "latin_1", "iso8859_15"})


# --------------------------------------------------------------------------- bytes


def _declared_encoding(head: bytes) -> str | None:
    match = _XML_DECL.match(head)
    if not match:
        return None
    enc = _DECL_ENCODING.search(match.group(0))
    return enc.group(1).decode("ascii").lower() if enc else None


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _detect(data: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - optional dependency
        return None
    matches = list(from_bytes(data[:65536]))
    if not matches:
        return None
    best = matches[0]
    # Single-byte Latin code pages are near-indistinguishable on short text;
    # windows-1252 is by far the most common of them, so it wins ties.
    for match in matches[:8]:
        if match.encoding in _WESTERN and match.chaos <= best.chaos + 0.02:
            return "cp1252"
    return _codec(best.encoding)


def prepare_xml_bytes(data: bytes, content_type: str | None = None) -> tuple[bytes, str, bool]:
    """Normalise a document to UTF-8 bytes without BOM or leading junk.

    Returns ``(utf8_bytes, encoding_used, guessed)``. A document that decodes as
    UTF-8 is taken as UTF-8 whatever it declares (valid non-ASCII UTF-8 is
    almost never an accident); otherwise the HTTP charset, then the XML
    declaration, then detection decide, with windows-1252 as the last resort.
    """
    encoding: str | None = None
    for bom, name in _BOMS:
        if data.startswith(bom):
            data = data[len(bom) :]
            encoding = name
            break
    if encoding is None and len(data) >= 4:
        if data[:4] == b"<\x00\x00\x00":
            encoding = "utf-32-le"
        elif data[:4] == b"\x00\x00\x00<":
            encoding = "utf-32-be"
        elif data[:2] == b"<\x00" or data[:4] == b" \x00<\x00":
            encoding = "utf-16-le"
        elif data[:2] == b"\x00<" or data[:4] == b"\x00 \x00<":
            encoding = "utf-16-be"
    if encoding is not None and encoding != "utf-8":
        text = data.decode(encoding, errors="replace").lstrip()
        return _redeclare(text.encode("utf-8")), encoding, False

    lead = _LEADING_WS.match(data)
    if lead and lead.end():
        data = data[lead.end() :]
    guessed = False
    try:
        if not data.isascii():  # isascii() is a fast scan; decoding validates UTF-8
            data.decode("utf-8")
        used = "utf-8"
    except UnicodeDecodeError:
        used = ""
        http_charset = None
        if content_type:
            m = _CT_CHARSET.search(content_type)
            http_charset = _codec(m.group(1)) if m else None
        declared = _codec(_declared_encoding(data[:512]))
        for candidate in (http_charset, declared):
            if candidate and candidate not in ("utf-8", "ascii") and "16" not in candidate:
                try:
                    text = data.decode(candidate)
                except (UnicodeDecodeError, LookupError):
                    continue
                used = candidate
                break
        if not used:
            guessed = True
            candidate = _detect(data) or "cp1252"
            try:
                text = data.decode(candidate)
            except (UnicodeDecodeError, LookupError):
                candidate = "cp1252"
                text = data.decode(candidate, errors="replace")
            used = candidate
        data = text.encode("utf-8")
    return _redeclare(data), used, guessed


def _redeclare(data: bytes) -> bytes:
    """Make the XML declaration (if any) say UTF-8, matching the bytes."""
    match = _XML_DECL.match(data)
    if match and _DECL_ENCODING.search(match.group(0)):
        decl = _DECL_ENCODING.sub(b'encoding="utf-8"', match.group(0))
        return decl + data[match.end() :]
    return data


# --------------------------------------------------------------------------- text helpers


def _plain(text: str | None) -> str:
    """A title as plain text: known tags removed, entities decoded, spaces collapsed."""
    if not text:
        return ""
    if "<" in text:
        text = _TITLE_TAG.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    return _WS.sub(" ", text).strip()


def _resolve_html(body: str, base: str | None) -> str:
    if not body or not base or "=" not in body:
        return body
    parts = urlsplit(base)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None

    def fix(m: re.Match[str]) -> str:
        value = m.group(3).strip()
        if not value:
            return m.group(0)
        if "&" in value:
            value = html.unescape(value)
        if origin and value[0] == "/" and value[1:2] != "/":
            absolute = origin + value  # the common case, without urljoin's cost
        else:
            try:
                absolute = urljoin(base, value)
            except ValueError:
                return m.group(0)
        if not _NEEDS_ESCAPE.isdisjoint(absolute):
            absolute = html.escape(absolute, quote=True)
        return f"{m.group(1)}{m.group(2)}{absolute}{m.group(2)}"

    for pattern in _RELATIVE_ATTRS:
        body = pattern.sub(fix, body)
    return body


def _abs(url: str | None, base: str | None) -> str | None:
    if not url:
        return None
    url = url.strip()
    if not url:
        return None
    if base and not _ABSOLUTE.match(url):
        try:
            return urljoin(base, url)
        except ValueError:
            return url
    return url


def _date(value: Any) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        try:
            dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _struct_date(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _make_key(guid: str | None, url: str | None, title: str, content: str) -> str:
    if guid:
        return guid
    if url:
        return url
    digest = hashlib.sha1((title + content).encode("utf-8", "surrogatepass")).hexdigest()
    return "sha1:" + digest


def _dedupe(entries: list[ParsedEntry]) -> list[ParsedEntry]:
    seen: set[str] = set()
    out = []
    for entry in entries:
        if entry.key in seen:
            continue
        seen.add(entry.key)
        out.append(entry)
    return out


def _lang(value: Any) -> str | None:
    if not value or not isinstance(value, str):
        return None
    value = value.strip().replace("_", "-")
    return value or None


# --------------------------------------------------------------------------- format sniffing


def _root_name(data: bytes) -> str:
    head = data[:8192]
    skip = _SKIP_PROLOG.match(head)
    start = skip.end() if skip else 0
    match = _ROOT.search(head, start)
    return match.group(1).decode("ascii", "replace").lower() if match else ""


def _format_for(root: str) -> str | None:
    if root == "rss":
        return "rss"
    if root == "feed":
        return "atom"
    if root == "rdf":
        return "rdf"
    return None


# --------------------------------------------------------------------------- JSON Feed


def _parse_json(data: bytes, url: str) -> ParsedFeed:
    try:
        doc = json.loads(data, strict=False)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FeedParseError(f"not a feed: invalid JSON ({exc})") from None
    if not isinstance(doc, dict) or not (
        str(doc.get("version", "")).startswith("https://jsonfeed.org/version/")
        or isinstance(doc.get("items"), list)
    ):
        raise FeedParseError("not a feed: JSON document is not a JSON Feed")
    site = _abs(_str(doc.get("home_page_url")), url)
    feed_lang = _lang(doc.get("language"))
    base = _str(doc.get("feed_url")) or url
    entries = []
    items = doc.get("items") if isinstance(doc.get("items"), list) else []
    for item in items:
        if not isinstance(item, dict):
            continue
        guid = _str(item.get("id"))
        link = _abs(_str(item.get("url")) or _str(item.get("external_url")), base)
        title = _plain(_str(item.get("title")))
        content_html = _str(item.get("content_html"))
        if content_html is None:
            text = _str(item.get("content_text"))
            content_html = f"<p>{html.escape(text)}</p>" if text else ""
        summary = _str(item.get("summary"))
        content_html = _resolve_html(content_html, link or base)
        if not content_html and summary:
            content_html = html.escape(summary)
        authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
        names = [a.get("name") for a in authors if isinstance(a, dict) and a.get("name")]
        tags = [str(t) for t in item.get("tags") or [] if isinstance(t, str | int)]
        entries.append(
            ParsedEntry(
                key=_make_key(guid, link, title, content_html),
                guid=guid,
                url=link,
                title=title,
                author=", ".join(names) or None,
                published=_date(item.get("date_published")),
                updated=_date(item.get("date_modified")),
                content_html=content_html,
                summary_html=html.escape(summary) if summary else None,
                categories=tags,
                language=_lang(item.get("language")) or feed_lang,
            )
        )
    return ParsedFeed(
        format="json",
        title=_plain(_str(doc.get("title"))) or None,
        site_url=site,
        language=feed_lang,
        entries=_dedupe(entries),
    )


def _str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return None


# --------------------------------------------------------------------------- fastfeedparser


def _xhtml_inner(value: str) -> str:
    """fastfeedparser returns type="xhtml" content with its wrapper elements."""
    if value.startswith("<content") or value.startswith("<summary"):
        start = value.find(">") + 1
        end = value.rfind("</")
        value = value[start:end].strip() if end > start else value[start:]
    return value


def _from_fast(data: bytes, url: str, fmt: str, base: str) -> tuple[ParsedFeed, bool]:
    """Parse with fastfeedparser; also say whether any entry link was relative."""
    import fastfeedparser

    parsed = fastfeedparser.parse(data)
    feed = parsed.get("feed") or {}
    head = data[:65536]
    feed_lang = _lang(feed.get("language"))
    if feed_lang is None:
        m = _RSS_LANGUAGE.search(head) if fmt != "atom" else _ROOT_LANG.search(head[:4096])
        feed_lang = _lang(m.group(1).decode("ascii")) if m else None
    entries = []
    relative = False
    for e in parsed.get("entries") or []:
        guid = (e.get("id") or "").strip() or None
        raw_link = (e.get("link") or "").strip()
        relative = relative or bool(raw_link and not _ABSOLUTE.match(raw_link))
        link = _abs(raw_link, base)
        if guid and guid == raw_link:  # fastfeedparser copies the link when there is no id
            guid = link
        title = _plain(e.get("title"))
        content_html = ""
        entry_base = base
        language = None
        for c in e.get("content") or []:
            value = c.get("value") or ""
            if c.get("type") == "xhtml":
                value = _xhtml_inner(value)
            if len(value) > len(content_html):
                content_html = value
                entry_base = _abs(c.get("base"), base) or base
                language = c.get("language")
        summary = e.get("description") or None
        if not content_html and summary:
            content_html = summary
        if summary == content_html:
            summary = None
        tags = []
        for tag in e.get("tags") or []:
            term = tag.get("label") or tag.get("term") if isinstance(tag, dict) else tag
            if term and isinstance(term, str):
                tags.append(term.strip())
        entries.append(
            ParsedEntry(
                key=_make_key(guid, link, title, content_html),
                guid=guid,
                url=link,
                title=title,
                author=e.get("author") or None,
                published=_date(e.get("published")),
                updated=_date(e.get("updated")),
                content_html=_resolve_html(content_html, entry_base),
                summary_html=_resolve_html(summary, entry_base) if summary else None,
                categories=[t for t in tags if t],
                language=_lang(language) or feed_lang,
            )
        )
    title = _plain(feed.get("title"))
    if not title:
        first_item = _ITEM_TAGS.search(head)
        m = _HEAD_TITLE.search(head, 0, first_item.start() if first_item else len(head))
        title = _plain(m.group(1).decode("utf-8", "replace")) if m else ""
    result = ParsedFeed(
        format=fmt,
        title=title or None,
        site_url=_abs(feed.get("link"), base),
        language=feed_lang,
        entries=_dedupe(entries),
    )
    return result, relative


# --------------------------------------------------------------------------- feedparser


def _from_slow(data: bytes, url: str, content_type: str | None) -> ParsedFeed | None:
    import feedparser

    # No content-location: feedparser would then also "resolve" atom:id values,
    # giving other keys than the fast path. Links are resolved here instead.
    headers = {"content-type": content_type or "application/xml"}
    d = feedparser.parse(
        data, response_headers=headers, resolve_relative_uris=True, sanitize_html=False
    )
    version = d.get("version") or ""
    if not version and not d.entries:
        return None
    fmt = (
        "atom" if version.startswith("atom") else "rdf" if version in ("rss10", "rss090") else "rss"
    )
    feed = d.feed
    feed_lang = _lang(feed.get("language"))
    entries = []
    for e in d.entries:
        guid = (e.get("id") or "").strip() or None
        link = _abs(e.get("link"), url)
        title = _plain(e.get("title"))
        content_html = ""
        language = None
        for c in e.get("content") or []:
            value = c.get("value") or ""
            if len(value) > len(content_html):
                content_html = value
                language = c.get("language")
        summary = e.get("summary") or None
        if not content_html and summary:
            content_html = summary
            language = (e.get("summary_detail") or {}).get("language")
        if summary == content_html:
            summary = None
        tags = [t.get("label") or t.get("term") for t in e.get("tags") or []]
        entries.append(
            ParsedEntry(
                key=_make_key(guid, link, title, content_html),
                guid=guid,
                url=link,
                title=title,
                author=e.get("author") or None,
                # dict.get: feedparser's own get() warns about its updated->published alias
                published=_struct_date(dict.get(e, "published_parsed")),
                updated=_struct_date(dict.get(e, "updated_parsed")),
                content_html=_resolve_html(content_html, link or url),
                summary_html=_resolve_html(summary, link or url) if summary else None,
                categories=[t.strip() for t in tags if t and t.strip()],
                language=_lang(language) or feed_lang,
            )
        )
    return ParsedFeed(
        format=fmt,
        title=_plain(feed.get("title")) or None,
        site_url=_abs(feed.get("link"), url),
        language=feed_lang,
        entries=_dedupe(entries),
    )


# --------------------------------------------------------------------------- entry point


def _suspicious(result: ParsedFeed, data: bytes, relative: bool) -> str | None:
    """Why fastfeedparser's output should be checked against feedparser, or None."""
    entries = result.entries
    if not entries:
        return "no entries" if _ITEM_TAGS.search(data) else None
    if _XHTML_TITLE.search(data) and any(not e.title for e in entries):
        return "xhtml titles"
    undated = sum(1 for e in entries if e.published is None and e.updated is None)
    if undated and len(_DATE_TAGS.findall(data)) >= len(entries):
        return "dates not understood"
    if relative and b"xml:base" in data:
        return "relative links under xml:base"
    return None


def _score(feed: ParsedFeed) -> tuple[int, int]:
    filled = sum(bool(e.published or e.updated) + bool(e.url) + bool(e.title) for e in feed.entries)
    return (len(feed.entries), filled + bool(feed.title))


def _xml_error(data: bytes) -> str | None:
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        msg = str(exc.msg or exc).split(", line ")[0]
        return f"XML error at line {exc.lineno}: {msg}"
    return None


def parse_feed(data: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse an RSS 0.9x/1.0/2.0, Atom 0.3/1.0 or JSON Feed document.

    ``url`` is where the document came from (the base for relative links).
    Raises :class:`FeedParseError` with a short human message for anything
    that is not a readable feed.
    """
    if not data or not _NON_BLANK.search(data):
        raise FeedParseError("empty document")
    data, _encoding, guessed = prepare_xml_bytes(data, content_type)
    if data[:1] in (b"{", b"["):
        return _parse_json(data, url)

    root = _root_name(data)
    fmt = _format_for(root)
    warnings: list[str] = []
    if guessed:
        warnings.append(f"encoding not declared correctly; read as {_encoding}")

    base = url
    bases = _ROOT_BASE.findall(data[:4096])
    if bases:
        base = _abs(bases[0].decode("utf-8", "replace"), url) or url

    fast: ParsedFeed | None = None
    reason: str | None = None
    if fmt is not None:
        try:
            fast, relative = _from_fast(data, url, fmt, base)
        except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
            reason = f"fast parser failed: {exc}"
        else:
            reason = _suspicious(fast, data, relative)
            if reason is None:
                fast.warnings.extend(warnings)
                return fast
    slow = _from_slow(data, url, content_type)
    if slow is not None and (fast is None or _score(slow) >= _score(fast)):
        slow.warnings.extend(warnings)
        if reason:
            slow.warnings.append(f"fallback parser used ({reason})")
        return slow
    if fast is not None:
        fast.warnings.extend(warnings)
        return fast
    if root in ("html", "head", "body") or _HTML_HINT.match(data):
        raise FeedParseError("not a feed: looks like an HTML page")
    error = _xml_error(data)
    if error:
        raise FeedParseError(error)
    raise FeedParseError(f"not a feed: <{root or '?'}> document")

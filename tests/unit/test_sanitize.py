"""sanitize_html against feedparser's 595 sanitiser cases (+ a Wikipedia page).

Each case is a tiny feed whose text holds escaped HTML. We sanitise every text
node of it (and the bodies parse_feed extracts) and check that nothing
dangerous survives; ``acceptable_*`` cases must keep their element/attribute
when our allow-list has it (the ones we drop on purpose are listed below).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from desktop.enrich.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, sanitize_html
from desktop.sources.feed import FeedParseError
from desktop.sources.parse import parse_feed


def _shared_fixtures() -> Path | None:
    for candidate in (
        Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures",
        Path("/work/shared/fixtures"),
    ):
        if candidate.is_dir():
            return candidate.resolve()
    return None


SHARED = _shared_fixtures()
XSS = SHARED / "edge" / "xss_sanitize" if SHARED else None
needs_corpus = pytest.mark.skipif(XSS is None, reason="shared fixtures not available")

_DANGEROUS_TAG = re.compile(
    r"<\s*/?\s*(script|style|iframe|frame|frameset|form|input|button|textarea|select|object|"
    r"embed|applet|meta|link|base|svg|math)\b",
    re.I,
)
_TAG = re.compile(r"<[a-zA-Z][^>]*>")
_EVENT_ATTR = re.compile(r"\son[a-z]+\s*=", re.I)
_STYLE_ATTR = re.compile(r"\sstyle\s*=", re.I)
_URL_ATTR = re.compile(
    r"""\s(?:href|src|action|background|poster|cite)\s*=\s*["']?\s*([^"'\s>]*)""", re.I
)
_BAD_SCHEME = re.compile(r"^\s*(?:javascript|vbscript|data|livescript)\s*:", re.I)

# Elements/attributes feedparser accepts but we drop on purpose: form controls,
# media players and scripting hooks have no place in a reading pane.
DROPPED_ELEMENTS = {
    "area", "audio", "button", "canvas", "datalist", "dialog", "event-source", "fieldset",
    "font", "form", "input", "keygen", "label", "legend", "m", "map", "meter", "multicol",
    "optgroup", "output", "progress", "sound", "source", "spacer", "textarea", "video",
}  # fmt: skip
_TABLE_PARTS = {"caption", "col", "colgroup", "tbody", "td", "tfoot", "th", "thead", "tr"}


def _assert_safe(out: str, where: str) -> None:
    assert not _DANGEROUS_TAG.search(out), (where, out)
    for tag in _TAG.findall(out):  # real tags only: escaped text may mention anything
        assert not _EVENT_ATTR.search(tag), (where, tag)
        assert not _STYLE_ATTR.search(tag), (where, tag)
        for url in _URL_ATTR.findall(tag):
            assert not _BAD_SCHEME.match(url), (where, url)


def _html_fragments(path: Path) -> list[str]:
    """Every text node of the case (unescaped by the XML parser) plus parse_feed bodies."""
    from lxml import etree

    data = path.read_bytes()
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    fragments: list[str] = []
    root = etree.fromstring(data, parser)
    if root is not None:
        for el in root.iter():
            if isinstance(el.tag, str):
                fragments.append("".join(el.itertext()))
                fragments.append(etree.tostring(el, encoding="unicode"))
    try:
        feed = parse_feed(data, "https://example.org/feed")
    except FeedParseError:
        pass
    else:
        for entry in feed.entries:
            fragments += [entry.content_html, entry.summary_html or ""]
    return [f for f in fragments if f]


def _cases(prefix: str, accept: bool) -> list[str]:
    if XSS is None:
        return []
    return sorted(
        p.name
        for p in XSS.iterdir()
        if p.name.startswith(prefix) and ("__acceptable_" in p.name) == accept
    )


@needs_corpus
@pytest.mark.parametrize("name", _cases("", accept=False))
def test_dangerous_cases_lose_the_dangerous_part(name: str) -> None:
    assert XSS is not None
    for fragment in _html_fragments(XSS / name):
        _assert_safe(sanitize_html(fragment, "https://example.org/a/"), name)


def _content(name: str) -> str:
    assert XSS is not None
    feed = parse_feed((XSS / name).read_bytes(), "https://example.org/feed")
    return feed.entries[0].content_html


@needs_corpus
def test_acceptable_elements_survive() -> None:
    kept, dropped = [], []
    for name in _cases("feedparser__acceptable_element_", accept=True):
        tag = name.removeprefix("feedparser__acceptable_element_").removesuffix(".xml")
        source = _content(name)
        if tag in _TABLE_PARTS:  # outside a table the HTML parser itself drops them
            source = (
                f"<table><tr>{source}</tr></table>"
                if tag in ("td", "th")
                else (f"<table>{source}</table>")
            )
        out = sanitize_html(source, "https://example.org/")
        (kept if re.search(rf"<{re.escape(tag)}[\s/>]", out) else dropped).append(tag)
        _assert_safe(out, name)
    assert set(dropped) == DROPPED_ELEMENTS, sorted(set(dropped) ^ DROPPED_ELEMENTS)
    assert all(tag in ALLOWED_TAGS for tag in kept)
    assert len(kept) >= 55


@needs_corpus
def test_acceptable_attributes_follow_the_allow_list() -> None:
    checked = 0
    for name in _cases("feedparser__acceptable_attribute_", accept=True):
        attr = name.removeprefix("feedparser__acceptable_attribute_").removesuffix(".xml")
        source = _content(name)
        match = re.match(r"<([a-z0-9]+)", source)
        assert match, source
        tag = match.group(1)
        out = sanitize_html(source, "https://example.org/")
        _assert_safe(out, name)
        allowed = attr in ALLOWED_ATTRIBUTES.get(tag, ()) or attr in ALLOWED_ATTRIBUTES["*"]
        if tag in ALLOWED_TAGS:
            assert (f" {attr}=" in out) == allowed, (name, source, out)
            checked += 1
    assert checked >= 100


def test_allowed_markup_is_kept_and_links_are_safe() -> None:
    html = (
        '<h2>Head</h2><p>Text <b>bold</b> <em>em</em> <a href="/rel" onclick="x()">rel</a> '
        '<a href="javascript:alert(1)">js</a> <a href="https://x.org/">abs</a></p>'
        '<ul><li>one</li></ul><table><tr><td colspan="2">c</td></tr></table>'
        '<figure><img src="pic.jpg" alt="A" style="width:1px"><figcaption>cap</figcaption></figure>'
        "<blockquote>q</blockquote><pre><code>x = 1</code></pre>"
        '<img src="data:image/png;base64,iVBORw0KGgo="><script>alert(1)</script>'
        '<style>p{}</style><iframe src="https://evil"></iframe><form><input></form>'
    )
    out = sanitize_html(html, "https://example.org/news/item")
    for kept in ("<h2>", "<b>", "<em>", "<ul>", "<li>", "<table>", 'colspan="2"', "<figure>",
                 "<figcaption>", "<blockquote>", "<pre>", "<code>", 'alt="A"'):  # fmt: skip
        assert kept in out, kept
    assert '<a href="https://example.org/rel" rel="noopener noreferrer">' in out
    assert '<img src="https://example.org/news/pic.jpg" alt="A">' in out
    assert "javascript" not in out and "data:" not in out and "alert" not in out
    assert "onclick" not in out and "style" not in out and "evil" not in out
    _assert_safe(out, "inline")


def test_empty_and_no_base() -> None:
    assert sanitize_html("") == ""
    assert sanitize_html('<a href="rel">x</a>') == '<a href="rel" rel="noopener noreferrer">x</a>'


@needs_corpus
def test_real_page_is_sanitised() -> None:
    assert XSS is not None
    page = (XSS / "miniflux__miniflux_wikipedia.html").read_text("utf-8", "replace")
    out = sanitize_html(page, "https://en.wikipedia.org/wiki/Miniflux")
    _assert_safe(out, "wikipedia")
    assert "Miniflux" in out and '<a href="https://en.wikipedia.org/' in out

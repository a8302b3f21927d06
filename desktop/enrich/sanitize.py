"""Allow-list HTML sanitiser for article bodies (nh3 / ammonia).

Kept: text formatting, links, lists, tables, headings, quotes, code, images,
figures. Removed: script/style (with their content), event handlers, style
attributes, forms and their controls, frames, object/embed/applet, media
players, meta/base/link, comments. URLs must be ``http``, ``https`` or
``mailto``; every ``data:`` URL is dropped too (``data:image`` included: it
is rare in feeds, can carry SVG, and bloats the database). Relative URLs are
resolved against ``base_url``. Links get ``rel="noopener noreferrer"``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

__all__ = ["ALLOWED_ATTRIBUTES", "ALLOWED_TAGS", "URL_SCHEMES", "sanitize_html"]

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "a", "abbr", "acronym", "address", "article", "aside", "b", "bdi", "bdo", "big",
        "blockquote", "br", "caption", "center", "cite", "code", "col", "colgroup", "dd",
        "del", "details", "dfn", "dir", "div", "dl", "dt", "em", "figcaption", "figure",
        "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i", "img", "ins",
        "kbd", "li", "mark", "nav", "ol", "p", "pre", "q", "rp", "rt", "ruby", "s", "samp",
        "section", "small", "span", "strike", "strong", "sub", "summary", "sup", "table",
        "tbody", "td", "tfoot", "th", "thead", "time", "tr", "tt", "u", "ul", "var", "wbr",
    }
)  # fmt: skip
"""Tags kept (their attributes are filtered); other tags are removed, their text kept."""

_CLEAN_CONTENT_TAGS = frozenset(
    {"script", "style", "noscript", "template", "iframe", "frame", "frameset", "object",
     "embed", "applet", "textarea", "select", "button", "math", "svg"}
)  # fmt: skip

_GENERIC_ATTRIBUTES = frozenset({"title", "lang", "dir"})
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "*": _GENERIC_ATTRIBUTES,
    "a": frozenset({"href", "hreflang", "name"}),
    "img": frozenset({"src", "alt", "width", "height", "align", "border", "hspace", "vspace"}),
    "abbr": frozenset(),
    "blockquote": frozenset({"cite"}),
    "q": frozenset({"cite"}),
    "del": frozenset({"cite", "datetime"}),
    "ins": frozenset({"cite", "datetime"}),
    "time": frozenset({"datetime"}),
    "ol": frozenset({"start", "reversed", "type"}),
    "ul": frozenset({"type"}),
    "li": frozenset({"value"}),
    "details": frozenset({"open"}),
    "table": frozenset({"summary", "border", "cellpadding", "cellspacing", "align", "width"}),
    "col": frozenset({"span", "width", "align", "valign"}),
    "colgroup": frozenset({"span", "width", "align", "valign"}),
    "td": frozenset({"colspan", "rowspan", "headers", "align", "valign", "width", "nowrap"}),
    "th": frozenset({"colspan", "rowspan", "headers", "scope", "abbr", "align", "valign", "width"}),
    "tr": frozenset({"align", "valign"}),
    "p": frozenset({"align"}),
    "div": frozenset({"align"}),
    "h1": frozenset({"align"}),
    "h2": frozenset({"align"}),
    "h3": frozenset({"align"}),
    "h4": frozenset({"align"}),
    "h5": frozenset({"align"}),
    "h6": frozenset({"align"}),
    "hr": frozenset({"align", "noshade", "size", "width"}),
}
"""Attributes kept per tag (``*`` applies to every kept tag). No ``style``, no ``on*``."""

URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})

_OPTIONS: dict[str, Any] = {
    "tags": set(ALLOWED_TAGS),
    "clean_content_tags": set(_CLEAN_CONTENT_TAGS),
    "attributes": {tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
    "url_schemes": set(URL_SCHEMES),
    "link_rel": "noopener noreferrer",
    "strip_comments": True,
}


# Text the sanitiser returns unchanged: nothing it parses (``<``, ``&``), escapes (``>``,
# no-break space), normalises (CR, NUL, a leading BOM) or rejects (lone surrogates).
_NEEDS_CLEANING = re.compile("[\x00\r&<>\xa0\ufeff\ud800-\udfff]")
# An ``href``/``src`` (the only URL attributes allowed) not followed by a value with a
# scheme, searched in the ASCII-lowercased UTF-8 (HTML folds only ASCII case in names).
# Without one every URL is absolute, and the relative-URL policy changes nothing.
# One pattern per name, each starting with a literal: the regex engine then skips
# ahead with a fast substring search (the alternation ``(?:href|src)`` is ~3x slower).
_MAYBE_RELATIVE_URL = tuple(
    re.compile(name + rb"(?![\t\n\f\r ]*=[\t\n\f\r ]*[\"']?[a-zA-Z][a-zA-Z0-9+.\-]*:)")
    for name in (b"href", b"src")
)


def _may_have_relative_url(html: str) -> bool:
    """False only if no ``href``/``src`` in ``html`` can hold a relative URL."""
    folded = html.encode("utf-8", "surrogatepass").lower()
    return any(pattern.search(folded) for pattern in _MAYBE_RELATIVE_URL)


@lru_cache(maxsize=64)
def _cleaner(url_relative: str | tuple[str, str] | None) -> Any:
    """An ``nh3.Cleaner`` for the allow-list (building one per call costs more than cleaning)."""
    import nh3

    return nh3.Cleaner(url_relative=url_relative, **_OPTIONS)


def sanitize_html(html: str, base_url: str | None = None) -> str:
    """Return ``html`` reduced to the allow-list, relative URLs resolved against ``base_url``."""
    if not html:
        return ""
    if not _NEEDS_CLEANING.search(html):
        return html
    if base_url and base_url.startswith(("http://", "https://", "file://")):
        if not _may_have_relative_url(html):
            return _cleaner("deny").clean(html)  # no relative URL: the base changes nothing
        try:
            cleaner = _cleaner(("rewrite_with_base", base_url))
        except (ValueError, TypeError):
            pass  # an unparseable base: fall through and drop relative URLs instead
        else:
            return cleaner.clean(html)
    return _cleaner("deny" if base_url else None).clean(html)

"""Plain text for analysis from sanitised article HTML (or plain text).

Markup goes, and so does aggregator boilerplate: "Related posts" sections (a
heading such as Related / Read also / Похожие / Прочетете още / Ähnliche /
קראו עוד and everything after it), link farms and share bars (blocks that are
mostly links), "Read more" tails, "This article has been indexed…" notes,
"The post X appeared first on Y", copyright lines. Entities, typographic
quotes, odd spaces and invisible characters are normalised; paragraphs are
separated by a blank line.
"""

from __future__ import annotations

import html as _html
import re
import unicodedata
from functools import lru_cache
from typing import Any

from desktop.enrich.sanitize import ALLOWED_TAGS

_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
_DROP_TAGS = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "object",
        "embed",
        "svg",
        "math",
        "form",
        "button",
        "select",
        "input",
        "textarea",
        "nav",
        "footer",
        "aside",
        "figure",
        "figcaption",
        "audio",
        "video",
        "canvas",
        "head",
        "title",
    ]
)
_HEADING_TAGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
_HEADING_MAX_CHARS = 60
_FULL_HTML = re.compile(r"^\s*<(?:html|!doctype)", re.IGNORECASE)  # as lxml.html tests it

# Headings that open a list of other articles, in the languages we support.
_RELATED_ALTERNATIVES = (
    r"related(?:\s+(?:posts?|articles?|stories|news|content|reading))?|"
    r"(?:read|see)\s+(?:also|more)|more\s+(?:stories|news|from\s+.{1,40})|"
    r"you\s+(?:may|might)\s+also\s+(?:like|be\s+interested(?:\s+in)?)|recommended(?:\s+for\s+you)?|"
    r"trending(?:\s+now)?|popular\s+(?:posts|articles|stories)|latest\s+(?:posts|news)|"
    r"ähnliche\s+(?:beiträge|artikel|themen)|weitere\s+(?:artikel|beiträge|nachrichten)|"
    r"lesen\s+sie\s+auch|mehr\s+zum\s+thema|das\s+könnte\s+sie\s+auch\s+interessieren|"
    r"articles?\s+(?:similaires|connexes|liés)|lire\s+aussi|à\s+lire\s+aussi|voir\s+aussi|"
    r"(?:artículos|noticias)\s+relacionad[oa]s|lee\s+también|te\s+puede\s+interesar|"
    r"articoli\s+correlati|leggi\s+anche|potrebbe\s+interessarti|"
    r"artigos\s+relacionados|leia\s+também|veja\s+também|"
    r"похожие\s+(?:записи|статьи|новости|материалы)|читайте\s+также|смотрите\s+также|"
    r"по\s+теме|схожі\s+(?:записи|статті|новини)|читайте\s+також|дивіться\s+також|"
    r"прочетете\s+(?:още|също)|подобни\s+(?:публикации|статии)|още\s+по\s+темата|"
    r"podobne\s+(?:wpisy|artykuły)|zobacz\s+(?:też|także|również)|czytaj\s+(?:też|także)|"
    r"gerelateerde\s+(?:berichten|artikelen)|lees\s+ook|relaterade\s+(?:inlägg|artiklar)|"
    r"läs\s+(?:också|mer)|ilgili\s+(?:yazılar|haberler)|benzer\s+(?:yazılar|haberler)|"
    r"bunlar\s+da\s+ilginizi\s+çekebilir|související\s+(?:články|příspěvky)|čtěte\s+také|"
    r"articole\s+(?:similare|asemănătoare)|citește\s+(?:și|şi)|berita\s+terkait|baca\s+juga|"
    r"bài\s+viết\s+liên\s+quan|tin\s+liên\s+quan|σχετικά\s+άρθρα|διαβάστε\s+επίσης|"
    r"קראו\s+עוד|כתבות\s+נוספות|כתבות\s+קשורות|مقالات\s+ذات\s+صلة|اقرأ\s+أيضا|اقرأ\s+أيضًا|"
    r"مطالب\s+مرتبط|بیشتر\s+بخوانید|संबंधित\s+(?:लेख|खबरें)|यह\s+भी\s+पढ़ें|"
    r"相关(?:文章|阅读|新闻)|関連記事|관련\s*기사"
)
_RELATED_HEADING = re.compile(r"^\W*(?:" + _RELATED_ALTERNATIVES + r")\W*$", re.IGNORECASE)
# Whole paragraphs that are boilerplate: anywhere in the paragraph...
_BOILERPLATE_ANYWHERE = re.compile(
    r"this\s+(?:article|post|story)\s+(?:has\s+been|was)\s+(?:indexed|republished|syndicated)|"
    r"we\s+do\s+not\s+claim\s+(?:legitimacy|ownership)|all\s+rights\s+reserved",
    re.IGNORECASE,
)
# Words every _BOILERPLATE_ANYWHERE match contains; see _may_contain.
_ANYWHERE_WORDS = ("reserved", "indexed", "republished", "syndicated", "legitimacy", "ownership")
# Characters that IGNORECASE matches to an ASCII letter though str.lower() does not give it.
_CASE_TRICKY = re.compile("[\u0130\u0131\u017f]")
# ... or as the whole paragraph.
_BOILERPLATE_WHOLE = re.compile(
    r"\W*(?:"
    r"the\s+post\s+.{1,300}\s+appeared\s+first\s+on\s+.{1,120}|"
    r"(?:this\s+)?(?:article|post|entry)\s+(?:was\s+)?(?:originally\s+)?(?:published|appeared)\s+"
    r"(?:on|at|in)\s+.{1,120}|"
    r"(?:©|\(c\)|copyright\b).{0,200}|"
    r"(?:share|tweet|pin|email|print)(?:\s+(?:on|to|this|via)\b.{0,40})?\W*"
    r"(?:(?:share|tweet|pin|email|print|facebook|twitter|linkedin|whatsapp|telegram|reddit|x)\b\W*)*|"
    r"click\s+here|subscribe\b.{0,80}|sign\s+up\s+for\s+our\s+newsletter.{0,80}|"
    r"(?:source|via|image|photo|credit)s?\s*:\s*\S.{0,80}"
    r")$",
    re.IGNORECASE,
)
# "Read more" and its translations left dangling at the end of a paragraph.
_READ_MORE_TAIL = re.compile(
    r"(?:\s*[\[(]?(?:read\s+(?:more|the\s+full\s+(?:article|story))|continue\s+reading|"
    r"weiterlesen|mehr\s+lesen|lire\s+la\s+suite|leer\s+más|seguir\s+leyendo|continua\s+a\s+leggere|"
    r"leia\s+mais|читать\s+далее|подробнее|читати\s+далі|прочети\s+още|czytaj\s+dalej|"
    r"lees\s+meer|läs\s+mer|devamını\s+oku|číst\s+dále|citește\s+mai\s+mult|baca\s+selengkapnya|"
    r"xem\s+thêm|διαβάστε\s+περισσότερα|המשך\s+לקרוא|اقرأ\s+المزيد|ادامه\s+مطلب|आगे\s+पढ़ें|"
    r"阅读全文|続きを読む|더\s*보기)\s*(?:[»›→…\x22']+|\.{3})?\s*[\])]?)+\s*$",
    re.IGNORECASE,
)
_TAIL_WINDOW = 80
_TAIL_PUNCT = " .…»›→])(:-\"'"
_WHOLE_FIRST_WORDS = frozenset(
    [
        "the",
        "this",
        "article",
        "post",
        "entry",
        "©",
        "(c)",
        "copyright",
        "share",
        "tweet",
        "pin",
        "email",
        "print",
        "click",
        "subscribe",
        "sign",
        "source",
        "sources",
        "via",
        "image",
        "images",
        "photo",
        "photos",
        "credit",
        "credits",
    ]
)
_READ_MORE_LAST_WORDS = frozenset(
    [
        "more",
        "reading",
        "article",
        "story",
        "weiterlesen",
        "lesen",
        "suite",
        "leggere",
        "mais",
        "leyendo",
        "dalej",
        "meer",
        "mer",
        "oku",
        "mult",
        "selengkapnya",
        "más",
        "далее",
        "подробнее",
        "далі",
        "още",
        "dále",
        "thêm",
        "περισσότερα",
        "לקרוא",
        "المزيد",
        "مطلب",
        "पढ़ें",
    ]
)
_READ_MORE_CJK = ("阅读全文", "続きを読む", "더보기", "더 보기")
_BOILERPLATE_MAX_CHARS = 600
_THUMBNAIL_LINE = re.compile(r"^.{1,200}\sthumbnail$", re.IGNORECASE)

_REPLACEMENTS: tuple[tuple[str, str], ...] = tuple(
    {
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2033": '"', "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u2039": "'", "\u203a": "'", "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ",
        "\u200a": " ", "\u202f": " ", "\u2007": " ", "\u2008": " ", "\u3000": " ", "\t": " ",
        "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "",
        "\u00ad": "", "\u2028": "\n", "\u2029": "\n\n", "\r": "\n",
    }.items()
)  # fmt: skip
_REPLACED_CHARS = re.compile("[" + "".join(src for src, _ in _REPLACEMENTS) + "]")
_SPACES = re.compile(r"[ \f\v]+")
_SPACE_BEFORE_PUNCT = re.compile(r" +([,.;:!?](?:\s|$))")
# A space before punctuation: one scan finds what a search for each of the six pairs would.
_SPACE_PUNCT_PAIR = re.compile(r" [,.;:!?]")
_PARAGRAPH_SPLIT = re.compile(r"\n\s*\n")
_LINE_SPLIT = re.compile(r"\s*\n\s*")


def normalize_text(text: str) -> str:
    """Unicode NFC, straight quotes, plain spaces, no invisible characters."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        if _REPLACED_CHARS.search(text):  # one scan instead of one per replaced character
            for src, dst in _REPLACEMENTS:
                if src in text:
                    text = text.replace(src, dst)
    elif "\t" in text or "\r" in text:
        text = text.replace("\r", "\n").replace("\t", " ")
    while "  " in text:  # str.replace beats the regex on runs of plain spaces
        text = text.replace("  ", " ")
    if "\f" in text or "\v" in text:
        text = _SPACES.sub(" ", text)
    return text


def _clean_line(line: str) -> str:
    """Strip a line and drop its "Read more" tail (spaces before punctuation already went)."""
    line = line.strip()
    words = line[-_TAIL_WINDOW:].rstrip(_TAIL_PUNCT).rsplit(None, 1)
    last = words[-1] if words else ""
    if last.lower() in _READ_MORE_LAST_WORDS or last.endswith(_READ_MORE_CJK):
        head, tail = line[:-_TAIL_WINDOW], line[-_TAIL_WINDOW:]
        line = (head + _READ_MORE_TAIL.sub("", tail)).strip()
    return line


def _first_word(line: str) -> str:
    head = line[:20].lstrip(_TAIL_PUNCT + "\"'*#•|").split(None, 1)
    return head[0].lower().rstrip(":,") if head else ""


def _may_contain(text: str, words: tuple[str, ...]) -> bool:
    """False only if no case-insensitive regex match of any of ``words`` can be in ``text``."""
    if not text.isascii() and _CASE_TRICKY.search(text):  # isascii() is O(1)
        return True
    low = text.lower()
    return any(word in low for word in words)


def strip_boilerplate(text: str) -> str:
    """Remove aggregator boilerplate from plain text whose paragraphs are split by blank lines.

    Cuts at a "Related posts"-style heading line (after the first paragraph) and
    drops boilerplate paragraphs and lines, "Read more" tails and thumbnail captions.
    """
    # One pass over the whole text gives the same lines as one per line.
    if _SPACE_PUNCT_PAIR.search(text):
        text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    may_drop_anywhere = _may_contain(text, _ANYWHERE_WORDS)
    kept: list[str] = []
    for paragraph in _PARAGRAPH_SPLIT.split(text):
        lines: list[str] = []
        stop = False
        paragraph = paragraph.strip()
        for raw in _LINE_SPLIT.split(paragraph) if "\n" in paragraph else (paragraph,):
            line = _clean_line(raw)
            if not line:
                continue
            if (kept or lines) and len(line) <= 60 and _RELATED_HEADING.match(line):
                stop = True
                break
            if len(line) <= _BOILERPLATE_MAX_CHARS and (
                (_first_word(line) in _WHOLE_FIRST_WORDS and _BOILERPLATE_WHOLE.match(line))
                or (may_drop_anywhere and _BOILERPLATE_ANYWHERE.search(line))
                or (line.endswith("thumbnail") and _THUMBNAIL_LINE.match(line))
            ):
                continue
            lines.append(line)
        if lines:
            kept.append("\n".join(lines))
        if stop:
            break
    return "\n\n".join(kept)


@lru_cache(maxsize=1)
def _lxml() -> tuple[Any, Any]:
    """An HTML parser giving plain lxml elements and the XPath behind ``text_content()``.

    ``lxml.html`` builds the same tree but looks up a Python element class for every
    element it hands out, which costs more than the rest of the pruning.
    """
    from lxml import etree

    return etree.HTMLParser(), etree.XPath("string()", smart_strings=False)


def _text(el: Any) -> str:
    """All text inside ``el`` (``HtmlElement.text_content()``).

    Only for pruned trees: with no comments left, a childless element's text is ``el.text``.
    """
    if not len(el):
        return el.text or ""
    return _lxml()[1](el)


def _parse_fragment(html: str) -> Any:
    """``lxml.html.fragment_fromstring(html, create_parent="div")`` with plain elements."""
    if not _FULL_HTML.match(html):
        from lxml import etree

        try:
            doc = etree.fromstring(f"<html><body>{html}</body></html>", _lxml()[0])
        except Exception:  # lxml.html below raises (or not) as it always did
            doc = None
        bodies = (
            [el for el in doc if el.tag == "body"] if doc is not None and doc.tag == "html" else []
        )
        if len(bodies) == 1:
            root = bodies[0]
            doc.remove(root)
            root.tag = "div"
            root.attrib.clear()
            if root.text is not None and not root.text.strip():
                root.text = None
            return root
    import lxml.html

    return lxml.html.fragment_fromstring(html, create_parent="div")


def _is_related_heading(el: Any) -> bool:
    text = _text(el)
    # Whitespace-collapsing a prefix gives a prefix of the collapsed text: a cheap length bound.
    if (
        len(text) > 2 * _HEADING_MAX_CHARS
        and len(" ".join(text[:128].split())) > _HEADING_MAX_CHARS
    ):
        return False
    text = " ".join(text.split())
    return 0 < len(text) <= _HEADING_MAX_CHARS and bool(_RELATED_HEADING.match(text))


def _link_density(el: object, chars: int | None = None) -> float:
    """Share of ``el``'s non-space characters inside links (``chars``: that count, if known)."""
    if chars is None:
        chars = len("".join(_text(el).split()))
    if not chars:
        return 0.0
    linked = sum(len("".join(_text(a).split())) for a in el.iter("a"))  # type: ignore[attr-defined]
    return linked / chars


def _remove(el: object) -> None:
    """Remove ``el`` but keep its tail text."""
    parent = el.getparent()  # type: ignore[attr-defined]
    if parent is None:
        return
    tail = el.tail  # type: ignore[attr-defined]
    if tail and tail.strip():
        prev = el.getprevious()  # type: ignore[attr-defined]
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _prune(root: Any, links: bool = True) -> None:
    """Drop non-content elements, related-post sections and link farms (if ``links``) in place."""
    from lxml import etree

    # Comments, processing instructions and entities have a non-string tag: drop them too.
    for el in list(
        root.iter(etree.Comment, etree.ProcessingInstruction, etree.Entity, *_DROP_TAGS)
    ):
        _remove(el)
    _cut_related_section(root)
    if not links:
        return  # no <a>: every link density is 0
    for el in list(root.iter("ul", "ol", "dl", "table", "div", "p", "section")):
        if el.getparent() is None:
            continue
        # Without links the density is 0; a paragraph needs two links to count as a link farm.
        links = 0
        for _ in el.iter("a"):
            links += 1
            if links == 2:
                break
        if not links or (links == 1 and el.tag == "p"):
            continue
        if el.tag in ("div", "section", "p"):
            chars = len("".join(_text(el).split()))
            if chars < 200 and _link_density(el, chars) >= 0.9:
                _remove(el)
        elif _link_density(el) >= 0.75:
            _remove(el)


def _cut_related_section(root: Any) -> None:
    """Remove a "Related posts"-style heading and everything after it."""
    for el in list(root.iter(*_HEADING_TAGS, "p", "strong", "b", "div", "span")):
        if el.getparent() is None or not _is_related_heading(el):
            continue
        # Climb to the highest ancestor whose whole text is this heading, then cut it and all after.
        node = el
        while node.getparent() is not None and node.getparent() is not root:
            if " ".join(_text(node.getparent()).split()) != " ".join(_text(node).split()):
                break
            node = node.getparent()
        prior_text = "".join(
            "".join(_text(sib).split()) for sib in node.itersiblings(preceding=True)
        )
        if not prior_text and node.getparent() is root and not (root.text or "").strip():
            continue  # a heading at the very top is not a trailing section
        for sib in list(node.itersiblings()):
            _remove(sib)
        node.tail = None
        _remove(node)
        break


def html_to_text(html: str) -> str:
    """Plain text for analysis: no markup or boilerplate; paragraphs split by a blank line."""
    if not html or not html.strip():
        return ""
    if "<" not in html:
        return strip_boilerplate(normalize_text(_html.unescape(html)))
    text = _fast_text(html)
    if text is not None:
        return strip_boilerplate(normalize_text(text))
    return _lxml_text(html)


def _lxml_text(html: str) -> str:
    """``html_to_text`` through lxml: any HTML, pruned as the module docstring says."""
    from lxml import etree

    try:
        root = _parse_fragment(html)
    except (etree.ParserError, ValueError):
        return strip_boilerplate(normalize_text(_html.unescape(re.sub(r"<[^>]*>", " ", html))))
    _prune(root, links="<a" in html or "<A" in html)
    for el in root.iter(*_BLOCK_TAGS):
        el.tail = "\n\n" + (el.tail or "")
        el.text = "\n\n" + (el.text or "")
    for el in root.iter("br"):
        el.tail = "\n" + (el.tail or "")
    text = _text(root)
    return strip_boilerplate(normalize_text(text))


# --------------------------------------------------------------------------- fast path
# Sanitised HTML (html5ever's serialisation: lower-case tags, double-quoted attributes,
# every non-void element closed, text escaped) read by a regex tokenizer instead of
# lxml: the same text as the lxml path, or None when the fragment holds anything the
# tokenizer does not know to read as libxml2 does, or may hold a "Related" heading.

# A start or end tag (attribute values double-quoted: ``>`` may occur in them).
_TAG = re.compile(r'<(/?)([a-z][a-z0-9]*)(?:\s+[^\s"\'<>/=]+(?:="[^"]*")?)*\s*(/?)>')
# An ``&`` that does not start a reference ``html.unescape`` and libxml2 surely agree on.
_ODD_ENTITY = re.compile(
    r"&(?!(?:amp|lt|gt|quot|apos|nbsp|#[1-9][0-9]{1,4}|#x[1-9a-fA-F][0-9a-fA-F]{1,3});)"
)
# Characters libxml2 may drop or rewrite (controls, CR, non-characters, lone surrogates).
_ODD_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
# The elements ``_cut_related_section`` tests as headings.
_HEADING_LIKE_TAGS = frozenset([*_HEADING_TAGS, "p", "strong", "b", "div", "span"])
_VOID_TAGS = frozenset(["br", "img", "hr", "wbr", "col"])
_FARM_TAGS = frozenset(["ul", "ol", "dl", "table", "div", "p", "section"])
_MARKED = _HEADING_LIKE_TAGS | _FARM_TAGS  # elements whose start the tokenizer notes
_DENSE_FARM_TAGS = frozenset(["div", "section", "p"])  # the < 200 characters, >= 90% rule
# libxml2's htmlStartClose (HTMLparser.c, 2.14) between allowed tags: a start tag in
# a set closes an open element of the key's tag. html5ever never nests them so, but a tag
# the sanitiser strips between them can.
_LIBXML2_CLOSED_BY: dict[str, frozenset[str]] = {
    tag: frozenset(closers.split())
    for tag, closers in {
        "a": "a table td th",
        "address": "dd dl dt li ul",
        "b": "center p td th",
        "big": "p",
        "caption": "col colgroup tbody tfoot thead tr",
        "col": "col colgroup tbody tfoot thead tr",
        "colgroup": "colgroup tbody tfoot thead tr",
        "dd": "dt",
        "dir": "dd dl dt ul",
        "dl": "li",
        "dt": "dd dl",
        "h1": "li p table",
        "h2": "li p table",
        "h3": "li p table",
        "h4": "li p table",
        "h5": "li p table",
        "h6": "li p table",
        "i": "center p td th",
        "li": "li",
        "ol": "",
        "p": "address blockquote caption center col colgroup dd dir div dl dt h1 h2 h3 h4 h5 "
        "h6 hr li ol p pre table tbody td tfoot th tr ul",
        "pre": "dd dl dt li table ul",
        "s": "p",
        "small": "p",
        "span": "td th",
        "strike": "p",
        "tbody": "tbody tfoot",
        "td": "tbody td tfoot th tr",
        "tfoot": "tbody",
        "th": "tbody td tfoot th tr",
        "thead": "tbody tfoot",
        "tr": "tbody tfoot tr",
        "tt": "p",
        "u": "p td th",
        "ul": "address pre",
    }.items()
}


def _nonspace(text: str) -> int:
    """How many non-whitespace characters ``text`` holds."""
    return len("".join(text.split()))


def _fast_text(html: str) -> str | None:
    """The text ``html_to_text`` takes from its pruned, block-separated tree, or None."""
    if "<!" in html or _ODD_CHARS.search(html) or ("&" in html and _ODD_ENTITY.search(html)):
        return None
    parts = _TAG.split(html)  # text, then per tag: "/" or "", name, "/" or "", text
    if html.count("<") * 4 != len(parts) - 1:
        return None  # a "<" that starts no tag
    unescape, known, closed_by, marked = _html.unescape, ALLOWED_TAGS, _LIBXML2_CLOSED_BY, _MARKED
    pieces: list[str] = []  # the output, cut back when an element is removed
    seen: list[str] = []  # all text outside dropped elements, never cut back
    linked_seen: list[str] = []  # the part of ``seen`` inside links
    tags: list[str] = []  # the open elements
    # Of the open link-farm and heading candidates: len(pieces), len(seen),
    # len(linked_seen) and links at the start tag.
    marks: list[tuple[int, int, int, int]] = []
    links = 0
    in_link = False
    drop_depth = 0  # inside a dropped element: len(tags) with it open
    blank_tail_goes = False  # a removed element's whitespace-only tail goes with it
    tokens = iter(parts)
    text = next(tokens)
    if text:
        if "&" in text:
            text = unescape(text)
        if not text.isspace():  # the fragment's leading whitespace goes
            pieces.append(text)
            seen.append(text)
    for end, tag, self_closing, text in zip(tokens, tokens, tokens, tokens, strict=True):
        if tag not in known:
            return None
        blank_tail_goes = False
        if end:
            if not tags or tags.pop() != tag:
                return None
            if drop_depth:
                if len(tags) < drop_depth:
                    drop_depth = 0
                    blank_tail_goes = True
            elif tag == "a":
                in_link = False
            elif tag in marked:
                start, seen0, linked0, links0 = marks.pop()
                if tag in _HEADING_LIKE_TAGS and seen0 < len(seen):
                    heading = "".join(seen[seen0:])
                    if len(heading) <= 2 * _HEADING_MAX_CHARS or (
                        len(" ".join(heading[:128].split())) <= _HEADING_MAX_CHARS
                    ):
                        heading = " ".join(heading.split())
                        if len(heading) <= _HEADING_MAX_CHARS and _RELATED_HEADING.match(heading):
                            return None  # maybe a "Related posts" section: the lxml path cuts it
                if tag in _FARM_TAGS and links - links0 > (tag == "p"):
                    chars = _nonspace("".join(seen[seen0:]))
                    share = _nonspace("".join(linked_seen[linked0:])) / chars if chars else 0.0
                    if share >= 0.9 and chars < 200 if tag in _DENSE_FARM_TAGS else share >= 0.75:
                        del pieces[start:]  # a link farm
                        blank_tail_goes = True
                        tag = ""
                if tag in _BLOCK_TAGS:
                    pieces.append("\n\n")
            elif tag in _BLOCK_TAGS:
                pieces.append("\n\n")
        else:
            if tags and tag in closed_by.get(tags[-1], ()):
                return None  # libxml2 would close the open element here
            if tag in _VOID_TAGS:
                if not drop_depth:
                    if tag == "br":
                        pieces.append("\n")
                    elif tag == "hr":
                        pieces.append("\n\n\n\n")
            elif self_closing:
                return None  # "<div/>": libxml2 and html5ever read it differently
            else:
                if tag == "a" and in_link:
                    return None
                tags.append(tag)
                if not drop_depth:
                    if tag in _DROP_TAGS:
                        drop_depth = len(tags)
                    else:
                        if tag == "a":
                            in_link = True
                            links += 1
                        elif tag in marked:
                            marks.append((len(pieces), len(seen), len(linked_seen), links))
                        if tag in _BLOCK_TAGS:
                            pieces.append("\n\n")
        if text and not drop_depth:
            if "&" in text:
                text = unescape(text)
            if blank_tail_goes:
                blank_tail_goes = False
                if text.isspace():
                    continue
            pieces.append(text)
            seen.append(text)
            if in_link:
                linked_seen.append(text)
    if tags:
        return None
    return "".join(pieces)

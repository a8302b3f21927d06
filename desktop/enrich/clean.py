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

# Headings that open a list of other articles, in the languages we support.
_RELATED_HEADING = re.compile(
    r"^\W*(?:"
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
    r")\W*$",
    re.IGNORECASE,
)
# Whole paragraphs that are boilerplate: anywhere in the paragraph...
_BOILERPLATE_ANYWHERE = re.compile(
    r"this\s+(?:article|post|story)\s+(?:has\s+been|was)\s+(?:indexed|republished|syndicated)|"
    r"we\s+do\s+not\s+claim\s+(?:legitimacy|ownership)|all\s+rights\s+reserved",
    re.IGNORECASE,
)
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
_SPACES = re.compile(r"[ \f\v]+")
_SPACE_BEFORE_PUNCT = re.compile(r" +([,.;:!?](?:\s|$))")
_PARAGRAPH_SPLIT = re.compile(r"\n\s*\n")
_LINE_SPLIT = re.compile(r"\s*\n\s*")


def normalize_text(text: str) -> str:
    """Unicode NFC, straight quotes, plain spaces, no invisible characters."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        for src, dst in _REPLACEMENTS:
            if src in text:
                text = text.replace(src, dst)
    elif "\t" in text or "\r" in text:
        text = text.replace("\r", "\n").replace("\t", " ")
    return _SPACES.sub(" ", text)


def _clean_line(line: str) -> str:
    line = line.strip()
    if " " in line:
        line = _SPACE_BEFORE_PUNCT.sub(r"\1", line)
    words = line[-_TAIL_WINDOW:].rstrip(_TAIL_PUNCT).rsplit(None, 1)
    last = words[-1] if words else ""
    if last.lower() in _READ_MORE_LAST_WORDS or last.endswith(_READ_MORE_CJK):
        head, tail = line[:-_TAIL_WINDOW], line[-_TAIL_WINDOW:]
        line = (head + _READ_MORE_TAIL.sub("", tail)).strip()
    return line


def _first_word(line: str) -> str:
    head = line[:20].lstrip(_TAIL_PUNCT + "\"'*#•|").split(None, 1)
    return head[0].lower().rstrip(":,") if head else ""


def strip_boilerplate(text: str) -> str:
    """Remove aggregator boilerplate from plain text whose paragraphs are split by blank lines.

    Cuts at a "Related posts"-style heading line (after the first paragraph) and
    drops boilerplate paragraphs and lines, "Read more" tails and thumbnail captions.
    """
    kept: list[str] = []
    for paragraph in _PARAGRAPH_SPLIT.split(text):
        lines: list[str] = []
        stop = False
        for raw in _LINE_SPLIT.split(paragraph.strip()):
            line = _clean_line(raw)
            if not line:
                continue
            if (kept or lines) and len(line) <= 60 and _RELATED_HEADING.match(line):
                stop = True
                break
            if len(line) <= _BOILERPLATE_MAX_CHARS and (
                (_first_word(line) in _WHOLE_FIRST_WORDS and _BOILERPLATE_WHOLE.match(line))
                or _BOILERPLATE_ANYWHERE.search(line)
                or (line.endswith("thumbnail") and _THUMBNAIL_LINE.match(line))
            ):
                continue
            lines.append(line)
        if lines:
            kept.append("\n".join(lines))
        if stop:
            break
    return "\n\n".join(kept)


def _is_related_heading(el: object) -> bool:
    text = " ".join(el.text_content().split())  # type: ignore[attr-defined]
    return 0 < len(text) <= 60 and bool(_RELATED_HEADING.match(text))


def _link_density(el: object) -> float:
    text = "".join(el.text_content().split())  # type: ignore[attr-defined]
    if not text:
        return 0.0
    linked = sum(len("".join(a.text_content().split())) for a in el.iter("a"))  # type: ignore[attr-defined]
    return linked / len(text)


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


def _prune(root: object) -> None:
    """Drop non-content elements, related-post sections and link farms in place."""
    for el in list(root.iter()):  # type: ignore[attr-defined]
        tag = el.tag if isinstance(el.tag, str) else ""
        if (tag and tag.lower() in _DROP_TAGS) or not tag:
            _remove(el)
    for el in list(root.iter(*_HEADING_TAGS, "p", "strong", "b", "div", "span")):  # type: ignore[attr-defined]
        if el.getparent() is None or not _is_related_heading(el):
            continue
        # Climb to the highest ancestor whose whole text is this heading, then cut it and all after.
        node = el
        while node.getparent() is not None and node.getparent() is not root:
            if " ".join(node.getparent().text_content().split()) != " ".join(
                node.text_content().split()
            ):
                break
            node = node.getparent()
        prior_text = "".join(
            "".join(sib.text_content().split()) for sib in node.itersiblings(preceding=True)
        )
        if not prior_text and node.getparent() is root and not (root.text or "").strip():
            continue  # a heading at the very top is not a trailing section
        for sib in list(node.itersiblings()):
            _remove(sib)
        node.tail = None
        _remove(node)
        break
    for el in list(root.iter("ul", "ol", "dl", "table", "div", "p", "section")):  # type: ignore[attr-defined]
        if el.getparent() is None:
            continue
        if el.tag in ("div", "section", "p"):
            short = len("".join(el.text_content().split())) < 200
            if (
                short
                and _link_density(el) >= 0.9
                and (el.tag != "p" or len(list(el.iter("a"))) >= 2)
            ):
                _remove(el)
        elif _link_density(el) >= 0.75:
            _remove(el)


def html_to_text(html: str) -> str:
    """Plain text for analysis: no markup or boilerplate; paragraphs split by a blank line."""
    if not html or not html.strip():
        return ""
    if "<" not in html:
        return strip_boilerplate(normalize_text(_html.unescape(html)))
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return strip_boilerplate(normalize_text(_html.unescape(re.sub(r"<[^>]*>", " ", html))))
    _prune(root)
    for el in root.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _BLOCK_TAGS:
            el.tail = "\n\n" + (el.tail or "")
            if el.text:
                el.text = "\n\n" + el.text
            else:
                el.text = "\n\n"
        elif tag == "br":
            el.tail = "\n" + (el.tail or "")
    text = root.text_content()
    return strip_boilerplate(normalize_text(text))

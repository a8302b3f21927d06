"""The tokenizer fast path of ``html_to_text`` gives exactly the lxml path's text.

``_fast_text`` reads sanitised HTML with a regex tokenizer; ``_lxml_text`` is the
lxml path it stands in for (and falls back to). The differential runs over every
entry of the shared corpus (skipped when ``../shared`` is absent) and over random
fragments built from the allow-list and passed through the sanitiser.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.enrich import clean
from desktop.enrich.clean import _fast_text, _lxml_text, html_to_text
from desktop.enrich.sanitize import ALLOWED_TAGS, sanitize_html

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "enrich"


def _shared_fixtures() -> Path | None:
    for candidate in (
        Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures",
        Path("/work/shared/fixtures"),
    ):
        if (candidate / "MANIFEST.tsv").is_file():
            return candidate.resolve()
    return None


def _corpus_html(shared: Path) -> Iterator[str]:
    """Sanitised content and summary of every entry parse_feed reads from the corpus."""
    from desktop.sources.parse import parse_feed

    for sub in ("real", "edge", "seed", "conformance"):
        for path in sorted((shared / sub).rglob("*")):
            if not path.is_file() or path.suffix in (".md", ".tsv", ".json"):
                continue
            try:
                feed = parse_feed(path.read_bytes(), "http://example.com/feed", None)
            except Exception:  # edge/ holds non-feeds on purpose
                continue
            for entry in feed.entries:
                for body in (entry.content_html, entry.summary_html):
                    if body:
                        yield sanitize_html(body, entry.url or "http://example.com/feed")


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=6).hexdigest()


def test_html_to_text_gives_what_the_lxml_only_implementation_gave() -> None:
    """Pinned outputs of the implementation before the fast path, over the shared corpus."""
    shared = _shared_fixtures()
    if shared is None:
        pytest.skip("shared fixtures not available")
    golden = json.loads((FIXTURES / "html_to_text_digests.json").read_text(encoding="utf-8"))
    checked = 0
    for html in _corpus_html(shared):
        expected = golden.get(_digest(html))
        if expected is not None:
            assert _digest(html_to_text(html)) == expected, html[:300]
            checked += 1
    if checked < len(golden) // 2:  # the corpus or the parser changed since
        pytest.skip(f"only {checked} of {len(golden)} pinned bodies found in the corpus")


def _pool_html() -> Iterator[str]:
    """Item bodies of the benchmark's feed farm, when its harvested pool is cached."""
    pool = Path("/tmp/feedfarm-pool.json")
    if pool.is_file():
        for item in json.loads(pool.read_text(encoding="utf-8")):
            yield sanitize_html(item["body"], "http://example.com/post/1")


def _check(htmls: Iterator[str]) -> tuple[int, int]:
    """Assert fast == lxml wherever the fast path answers; (markup fragments, answered)."""
    total = answered = 0
    for html in htmls:
        if "<" not in html or not html.strip():
            continue
        total += 1
        fast = _fast_text(html)
        if fast is None:
            assert html_to_text(html) == _lxml_text(html)
            continue
        answered += 1
        new = clean.strip_boilerplate(clean.normalize_text(fast))
        assert new == _lxml_text(html), html
    return total, answered


def test_fast_path_equals_lxml_path_over_the_shared_corpus() -> None:
    shared = _shared_fixtures()
    if shared is None:
        pytest.skip("shared fixtures not available")
    total, answered = _check(_corpus_html(shared))
    assert total > 1000
    assert answered >= 0.9 * total  # the fast path is the common case, or it buys nothing
    pool_total, pool_answered = _check(_pool_html())
    assert pool_answered >= 0.9 * pool_total


_WORDS = [
    "a", "Related", "read also", "Relatedx", "hello world", "  ", "\n", "\t", "&amp;",
    "&nbsp;", "x y z", "link text here", "©", "Share", "more", "\u2003", "\u3000 b",
    "&#39;q&quot;", "&lt;x&gt;", "long text " * 12,
]  # fmt: skip
_TAGS = [
    *sorted(ALLOWED_TAGS), *["a"] * 15, *["p", "div", "ul", "li", "section", "table", "td"] * 2,
    "marquee", "font", "object", "button", "script", "form", "input", "select", "applet",
    "svg", "math", "template", "textarea", "!--",
]  # fmt: skip


def _random_html(rnd: random.Random, depth: int = 0) -> str:
    out = []
    for _ in range(rnd.randint(1, 4)):
        if rnd.random() < 0.4 or depth > 5:
            out.append(rnd.choice(_WORDS))
            continue
        tag = rnd.choice(_TAGS)
        if tag == "!--":
            out.append("<!-- c -->")
            continue
        attr = {"a": ' href="http://e.com/x"', "img": ' alt="a>b &quot;"'}.get(tag, "")
        close = f"</{tag}>" if rnd.random() < 0.9 else ""
        out.append(f"<{tag}{attr}>{_random_html(rnd, depth + 1)}{close}")
    return "".join(out)


def test_fast_path_equals_lxml_path_over_random_sanitised_fragments() -> None:
    rnd = random.Random(20261128)
    total, answered = _check(sanitize_html(_random_html(rnd)) for _ in range(3000))
    assert answered > total // 2


def test_fast_path_prunes_link_farms_drop_tags_and_keeps_text() -> None:
    farm = "".join(f'<li><a href="http://e.com/{i}">Other story {i}</a></li>' for i in range(5))
    html = sanitize_html(
        f"<p>First paragraph.</p><ul>{farm}</ul> <nav>Menu</nav><p>Last <b>one</b>.</p>"
    )
    assert _fast_text(html) is not None
    assert html_to_text(html) == "First paragraph.\n\nLast one." == _lxml_text(html)


def test_fast_path_declines_what_only_lxml_reads_right() -> None:
    related = "<p>Body text here.</p><h3>Related posts</h3><ul><li>Other</li></ul>"
    assert _fast_text(related) is None  # the lxml path cuts the section
    assert html_to_text(related) == "Body text here."
    assert _fast_text("<h2>Title<p>para</p></h2>") is None  # libxml2 closes the heading
    assert _fast_text("<p>a<!-- c -->b</p>") is None
    assert _fast_text("<p>a < b</p>") is None
    assert _fast_text("<div/>x") is None
    assert _fast_text("<p>unclosed") is None
    assert _fast_text("<p>a\x01b</p>") is None


def test_fast_path_reads_only_the_sanitiser_allow_list() -> None:
    assert _fast_text("<p>a <em>b</em></p>") == "\n\na b\n\n"
    assert _fast_text("<p>a <blink>b</blink></p>") is None  # not sanitised: lxml reads it

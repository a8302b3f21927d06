"""Clean text: markup and aggregator boilerplate removed, text normalised (real seed fixtures)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from desktop.enrich.clean import html_to_text, strip_boilerplate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "enrich"


def seed_items() -> list[tuple[str, str]]:
    """(title, description HTML) of each item of the real aggregator feed."""
    from lxml import etree

    tree = etree.parse(str(FIXTURES / "index-of-news.rss"))
    return [(i.findtext("title"), i.findtext("description")) for i in tree.iter("item")]


def test_seed_feed_has_seven_items_with_related_posts_in_the_first() -> None:
    items = seed_items()
    assert len(items) == 7
    assert "Related Posts" in items[0][1]


def test_related_post_titles_do_not_leak_into_the_main_article() -> None:
    items = seed_items()
    text = html_to_text(items[0][1])
    for other_title, _ in items[1:]:
        assert other_title not in text
    for phrase in ("Related Posts", "Read More", "indexed to our site", "Click Here"):
        assert phrase.lower() not in text.lower()
    # The real body stays, first and last paragraphs included.
    assert text.startswith("President Joe Biden and Vladimir Putin will speak on Thursday")
    assert text.endswith(
        "Kremlin spokesman Dmitry Peskov confirmed Putin would speak with Biden on Thursday, "
        "but did not provide details."
    )
    assert text.count("\n\n") == 17  # 18 body paragraphs


def test_other_seed_bodies_survive_whole() -> None:
    for _, body in seed_items()[1:]:
        text = html_to_text(body)
        plain = re.sub(r"<[^>]+>", "", body)
        assert len(text) >= 0.95 * len(plain)
        assert "<" not in text and "&amp;" not in text and "&#x27;" not in text


def test_entities_in_seed_item_are_decoded() -> None:
    text = html_to_text(seed_items()[5][1])
    assert text.startswith("Congratulations to these 'movers and shakers' recently hired")
    assert "Movers & Shakers is where" in text


def test_plain_text_aggregator_page_is_cut_at_related_posts() -> None:
    page = (FIXTURES / "aggregator-page.txt").read_text(encoding="utf-8")
    text = html_to_text(page)
    assert text.startswith("Tense dialogue: Biden and Putin")
    assert text.endswith("did not provide details.")
    for leaked in (
        "Inflation in Peru",
        "Перу отчете",
        "Coinbase",
        "Russische",
        "בעולם",
        "thumbnail",
    ):
        assert leaked not in text
    assert "indexed to our site" not in text


def test_entities_quotes_and_spaces_are_normalised() -> None:
    html = (
        "<p>He said &ldquo;yes&rdquo; &amp; left&nbsp;at\u202fnoon &#x27;ok&#x27; "
        "\u00abbien\u00bb \u201eja\u201c it\u2019s\u200b fine.</p><p>Second   para<br>line two</p>"
    )
    assert html_to_text(html) == (
        'He said "yes" & left at noon \'ok\' "bien" "ja" it\'s fine.\n\nSecond para\nline two'
    )


def test_markup_scripts_and_styles_are_dropped() -> None:
    html = (
        "<div><style>p{}</style><script>var x=1;</script>"
        "<h2>Title</h2><p>Body <b>bold</b> text.</p></div>"
    )
    assert html_to_text(html) == "Title\n\nBody bold text."


@pytest.mark.parametrize(
    "boilerplate",
    [
        "<p>The post <a href='x'>Big news</a> appeared first on <a href='y'>Example Daily</a>.</p>",
        "<p>© 2024 Example Media. All rights reserved.</p>",
        "<p>Copyright 2023 Foo Ltd</p>",
        "<p><a href='a'>Share on Facebook</a> <a href='b'>Tweet</a> <a href='c'>Email</a></p>",
        "<h3>Похожие записи</h3><ul><li><a href='a'>Другая новость</a></li></ul>",
        "<h4>Прочетете още</h4><p><a href='a'>Друга новина</a></p>",
        "<h3>Ähnliche Beiträge</h3><ul><li><a href='a'>Andere Nachricht</a></li></ul>",
        "<h3>קראו עוד</h3><ul><li><a href='a'>כתבה אחרת</a></li></ul>",
        "<ul><li><a href='a'>One headline</a></li><li><a href='b'>Two headline</a></li></ul>",
    ],
)
def test_boilerplate_after_the_article_is_removed(boilerplate: str) -> None:
    body = "<p>The central bank raised its key rate by half a point on Tuesday.</p>"
    assert html_to_text(body + boilerplate) == (
        "The central bank raised its key rate by half a point on Tuesday."
    )


def test_read_more_tail_is_stripped_but_words_inside_text_stay() -> None:
    html = (
        "<p>Prices rose again. Read more about it later in the year.</p>"
        "<p>Markets fell… Read More »</p>"
    )
    assert html_to_text(html) == (
        "Prices rose again. Read more about it later in the year.\n\nMarkets fell…"
    )


def test_strip_boilerplate_on_plain_text() -> None:
    text = (
        "First paragraph of news.\n\nThis article has been indexed to our site."
        "\n\nRelated Posts\nOther title\nRead More"
    )
    assert strip_boilerplate(text) == "First paragraph of news."


def test_empty_and_plain_inputs() -> None:
    assert html_to_text("") == ""
    assert html_to_text("   \n ") == ""
    assert html_to_text("Tom &amp; Jerry") == "Tom & Jerry"


def test_expect_file_is_the_copied_one() -> None:
    expect = json.loads((FIXTURES / "index-of-news.expect.json").read_text(encoding="utf-8"))
    assert [i["title"] for i in expect["items"]] == [t for t, _ in seed_items()]

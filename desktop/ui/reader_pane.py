"""The reading pane: sanitised HTML in a QTextBrowser, never touching the network itself.

Links open in the system browser. Remote images are blocked unless the
article's source allows them; allowed ones are fetched by a background job and
put in the document when they arrive (never a fetch on the UI thread).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from desktop.ui.article_list import exact_time, relative_time
from desktop.ui.qt import QTextBrowser, Signal

if TYPE_CHECKING:  # resolved when first used (each Qt type costs its enums at start-up)
    from desktop.ui.qt import QImage, QUrl

ALLOW_IMAGES = "newsdesk:allow-images"


@dataclass(frozen=True, slots=True)
class Colours:
    """The colours the pane's own HTML uses (the article body takes the palette's)."""

    title: str
    meta: str
    muted: str
    state: str
    language: tuple[str, str]  # (background, text) of a chip
    headline: tuple[str, str]
    topic: tuple[str, str]
    notice: tuple[str, str]


LIGHT = Colours(
    title="#111827",
    meta="#4b5563",
    muted="#6b7280",
    state="#b45309",
    language=("#dbeafe", "#1e40af"),
    headline=("#e5e7eb", "#374151"),
    topic=("#ecfdf5", "#047857"),
    notice=("#fef3c7", "#92400e"),
)
DARK = Colours(
    title="#f3f4f6",
    meta="#cbd5e1",
    muted="#9ca3af",
    state="#fbbf24",
    language=("#1e3a8a", "#dbeafe"),
    headline=("#374151", "#e5e7eb"),
    topic=("#064e3b", "#a7f3d0"),
    notice=("#78350f", "#fde68a"),
)


def empty_html(colours: Colours = LIGHT) -> str:
    """The pane's empty state."""
    return f"""
<div style="margin-top:80px; text-align:center; color:{colours.muted};">
<p style="font-size:15pt;">No article selected</p>
<p><b>j</b>/<b>k</b> move · <b>o</b> opens · <b>e</b> archives · <b>?</b> shows every key</p>
</div>
"""


EMPTY_HTML = empty_html()


def _chip(text: str, colours: tuple[str, str]) -> str:
    import html  # here, not at the top: html.entities would load before the first paint

    bg, fg = colours
    return (
        f'<span style="background-color:{bg}; color:{fg};">&nbsp;{html.escape(text)}&nbsp;</span>'
    )


def render_article(
    detail: dict[str, Any], images_blocked: int = 0, colours: Colours = LIGHT
) -> str:
    """The HTML the pane shows for one article (header, body, story copies)."""
    import html

    c = colours
    title = html.escape(detail.get("title") or "(untitled)")
    url = detail.get("url")
    if url:
        href = html.escape(url, quote=True)
        title = f'<a href="{href}" style="color:{c.title}; text-decoration:none;">{title}</a>'
    else:
        title = f'<span style="color:{c.title};">{title}</span>'
    meta = [html.escape(detail.get("source") or "")]
    if detail.get("author"):
        meta.append(html.escape(detail["author"]))
    published = detail.get("published") or ""
    meta.append(
        f'<span title="{html.escape(exact_time(published))}">'
        f"{html.escape(relative_time(published))} · {html.escape(exact_time(published))}</span>"
    )
    badges = []
    lang = detail.get("language") or "und"
    badges.append(_chip(lang.upper(), c.language))
    tl = detail.get("title_language")
    if tl and tl != detail.get("language"):
        badges.append(_chip(f"headline {tl.upper()}", c.headline))
    for t in detail.get("topics") or ():  # my effective tags
        badges.append(_chip(t, c.topic))
    for t, names in (detail.get("tagged_by") or {}).items():  # others' additions, attributed
        badges.append(_chip(f"{t} — {', '.join(names)}", c.headline))
    state = []
    if detail.get("flagged"):
        state.append("⚑ flagged")
    if detail.get("flagged_by"):
        state.append(html.escape("Flagged by " + ", ".join(detail["flagged_by"])))
    if detail.get("archived"):
        state.append("archived")
    notice = ""
    if images_blocked:
        notice = (
            f'<p style="background-color:{c.notice[0]}; color:{c.notice[1]};">&nbsp;'
            f"{images_blocked} remote image(s) blocked. "
            f'<a href="{ALLOW_IMAGES}">Allow images from this source</a></p>'
        )
    copies = ""
    if detail.get("story_copies"):
        items = "".join(
            f"<li>{html.escape(c['source'] or '')}: "
            f'<a href="{html.escape(c["url"] or "", quote=True)}">'
            f"{html.escape(c['title'] or '')}</a></li>"
            for c in detail["story_copies"]
        )
        copies = f'<hr/><p style="color:{c.muted};">Also reported by:</p><ul>{items}</ul>'
    body = detail.get("content_html") or html.escape(detail.get("text") or "").replace(
        "\n", "<br/>"
    )
    return (
        f'<h2 style="margin-bottom:4px;">{title}</h2>'
        f'<p style="color:{c.meta}; margin-top:0;">{" · ".join(meta)}</p>'
        f'<p>{" ".join(badges)} <span style="color:{c.state};">{" ".join(state)}</span></p>'
        f"{notice}<div>{body}</div>{copies}"
    )


def _open_in_browser(url: QUrl) -> Any:
    """The default link handler: the system browser."""
    from desktop.ui.qt import QDesktopServices

    return QDesktopServices.openUrl(url)


class ReaderPane(QTextBrowser):
    """Shows one article; asks its owner to fetch remote images when they are allowed."""

    allow_images_requested = Signal(int)
    """Source id whose remote images the user allowed."""

    def __init__(self, parent: Any = None, *, empty: bool = True) -> None:
        """Without ``empty`` the pane starts blank (the window's first paint shows the
        list; the empty state or an article follows)."""
        super().__init__(parent)
        self.setObjectName("readerPane")
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(self._open_link)
        self._margin_set = False
        """The document's margin comes with its first page (touching the document
        builds ``QTextDocument``'s enum classes: not before the window's first paint)."""
        self.detail: dict[str, Any] | None = None
        self.blocked: list[str] = []
        """Remote resources the last render asked for and did not get."""
        self._images: dict[str, QImage] = {}
        self.fetch_image: Callable[[str], None] | None = None
        """Set by the owner: start a background fetch of an allowed image URL."""
        self.open_url: Callable[[QUrl], Any] = _open_in_browser
        if empty:
            self.show_empty()

    @property
    def blank(self) -> bool:
        """Nothing rendered yet: neither the empty state nor an article (see ``empty``)."""
        return self.detail is None and self.document().isEmpty()

    @property
    def article_id(self) -> int | None:
        """The id of the article shown, if any."""
        return self.detail["id"] if self.detail else None

    @staticmethod
    def colours() -> Colours:
        """The colours of the current theme (``appearance.apply_appearance`` marks dark)."""
        from desktop.ui.qt import QApplication

        app = QApplication.instance()
        return DARK if app is not None and app.property("newsdeskDark") else LIGHT

    def show_empty(self) -> None:
        """The empty state."""
        self.detail = None
        self.blocked = []
        self._set_page(empty_html(self.colours()))
        self._paint_now()

    def restyle(self) -> None:
        """Render again in the current theme's colours (after a theme change)."""
        if self.detail is None:
            self.show_empty()
        else:
            self.show_article(self.detail)

    def show_article(self, detail: dict[str, Any]) -> None:
        """Render an article; blocked images are counted and offered in a notice."""
        same = self.detail is not None and self.detail.get("id") == detail.get("id")
        position = self.verticalScrollBar().value() if same else 0
        self.detail = detail
        self.blocked = []
        colours = self.colours()
        self._set_page(render_article(detail, colours=colours))
        if self.blocked and not detail.get("remote_images"):
            count = len(self.blocked)
            self._set_page(render_article(detail, count, colours))
            self.blocked = self.blocked[:count]
        self.verticalScrollBar().setValue(position)
        self._paint_now()

    def _set_page(self, html: str) -> None:
        if not self._margin_set:
            self._margin_set = True
            self.document().setDocumentMargin(18)
        self.setHtml(html)

    def _paint_now(self) -> None:
        """Lay out and paint the new page now, in a frame of its own.

        Left pending, the pane's repaint (its layout's queued calls, then ~2 ms of
        text painting) would join the next frame: a key pressed right after an
        article arrived would wait for the pane before the list showed the cursor
        move (the pane paints first)."""
        from desktop.ui.qt import QApplication

        if not self.isVisible():
            return
        QApplication.sendPostedEvents(self, 0)  # the layout's queued scroll-bar updates
        self.viewport().repaint()

    def add_image(self, url: str, data: bytes) -> None:
        """An allowed image arrived: put it in the document."""
        from desktop.ui.qt import QImage, QTextDocument, QUrl

        image = QImage()
        if not image.loadFromData(data):
            return
        self._images[url] = image
        self.document().addResource(QTextDocument.ResourceType.ImageResource, QUrl(url), image)
        self.document().markContentsDirty(0, self.document().characterCount())
        self.viewport().update()

    def loadResource(self, kind: int, url: QUrl) -> Any:
        from desktop.ui.qt import QImage

        if url.scheme() in ("http", "https", "ftp", "file"):
            text = url.toString()
            if text in self._images:
                return self._images[text]
            if url.scheme() in ("http", "https") and self.detail is not None:
                if self.detail.get("remote_images") and self.fetch_image is not None:
                    self.fetch_image(text)
                else:
                    self.blocked.append(text)
            return QImage()
        if url.scheme() == "data":
            return super().loadResource(kind, url)
        return QImage()

    def _open_link(self, url: QUrl) -> None:
        if url.toString() == ALLOW_IMAGES:
            if self.detail is not None:
                self.allow_images_requested.emit(int(self.detail["source_id"]))
            return
        if url.scheme() in ("http", "https", "mailto"):
            self.open_url(url)

    def scroll_page(self) -> bool:
        """Scroll one page down; False when already at the end."""
        bar = self.verticalScrollBar()
        if bar.value() >= bar.maximum():
            return False
        bar.setValue(min(bar.maximum(), bar.value() + max(1, bar.pageStep() - 40)))
        return True

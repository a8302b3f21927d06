"""The reading pane: sanitised HTML in a QTextBrowser, never touching the network itself.

Links open in the system browser. Remote images are blocked unless the
article's source allows them; allowed ones are fetched by a background job and
put in the document when they arrive (never a fetch on the UI thread).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from desktop.ui.article_list import exact_time, relative_time
from desktop.ui.qt import QTextBrowser, QTextDocument, Signal

if TYPE_CHECKING:  # resolved when first used (each Qt type costs its enums at start-up)
    from desktop.ui.qt import QImage, QUrl

EMPTY_HTML = """
<div style="margin-top:80px; text-align:center; color:#6b7280;">
<p style="font-size:15pt;">No article selected</p>
<p><b>j</b>/<b>k</b> move · <b>o</b> opens · <b>e</b> archives · <b>?</b> shows every key</p>
</div>
"""

ALLOW_IMAGES = "newsdesk:allow-images"


def _chip(text: str, bg: str, fg: str) -> str:
    return (
        f'<span style="background-color:{bg}; color:{fg};">&nbsp;{html.escape(text)}&nbsp;</span>'
    )


def render_article(detail: dict[str, Any], images_blocked: int = 0) -> str:
    """The HTML the pane shows for one article (header, body, story copies)."""
    title = html.escape(detail.get("title") or "(untitled)")
    url = detail.get("url")
    if url:
        href = html.escape(url, quote=True)
        title = f'<a href="{href}" style="color:#111827; text-decoration:none;">{title}</a>'
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
    badges.append(_chip(lang.upper(), "#dbeafe", "#1e40af"))
    tl = detail.get("title_language")
    if tl and tl != detail.get("language"):
        badges.append(_chip(f"headline {tl.upper()}", "#e5e7eb", "#374151"))
    for t in detail.get("topics") or ():
        badges.append(_chip(t, "#ecfdf5", "#047857"))
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
            '<p style="background-color:#fef3c7; color:#92400e;">&nbsp;'
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
        copies = f'<hr/><p style="color:#6b7280;">Also reported by:</p><ul>{items}</ul>'
    body = detail.get("content_html") or html.escape(detail.get("text") or "").replace(
        "\n", "<br/>"
    )
    return (
        f'<h2 style="margin-bottom:4px;">{title}</h2>'
        f'<p style="color:#4b5563; margin-top:0;">{" · ".join(meta)}</p>'
        f'<p>{" ".join(badges)} <span style="color:#b45309;">{" ".join(state)}</span></p>'
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

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("readerPane")
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(self._open_link)
        self.document().setDocumentMargin(18)
        self.detail: dict[str, Any] | None = None
        self.blocked: list[str] = []
        """Remote resources the last render asked for and did not get."""
        self._images: dict[str, QImage] = {}
        self.fetch_image: Callable[[str], None] | None = None
        """Set by the owner: start a background fetch of an allowed image URL."""
        self.open_url: Callable[[QUrl], Any] = _open_in_browser
        self.show_empty()

    @property
    def article_id(self) -> int | None:
        """The id of the article shown, if any."""
        return self.detail["id"] if self.detail else None

    def show_empty(self) -> None:
        """The empty state."""
        self.detail = None
        self.blocked = []
        self.setHtml(EMPTY_HTML)

    def show_article(self, detail: dict[str, Any]) -> None:
        """Render an article; blocked images are counted and offered in a notice."""
        same = self.detail is not None and self.detail.get("id") == detail.get("id")
        position = self.verticalScrollBar().value() if same else 0
        self.detail = detail
        self.blocked = []
        self.setHtml(render_article(detail))
        if self.blocked and not detail.get("remote_images"):
            count = len(self.blocked)
            self.setHtml(render_article(detail, count))
            self.blocked = self.blocked[:count]
        self.verticalScrollBar().setValue(position)

    def add_image(self, url: str, data: bytes) -> None:
        """An allowed image arrived: put it in the document."""
        from desktop.ui.qt import QImage, QUrl

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

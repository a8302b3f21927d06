"""OPML import and export of subscriptions, with folders.

Reading uses lxml with entity expansion, DTD loading and network access all
off (a billion-laughs or XXE document cannot expand or read files). listparser
was tried first but it reports neither ``htmlUrl`` nor the difference between
folder nesting and ``category`` attributes, both of which we need.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["OpmlError", "OpmlOutline", "read_opml", "write_opml"]

_SCHEMES = ("http", "https", "file")
_MAX_DEPTH = 64


class OpmlError(ValueError):
    """The document is not a readable OPML subscription list (message is user-facing)."""


@dataclass(frozen=True, slots=True)
class OpmlOutline:
    """One subscription: feed URL, title, folder path ("A/B") or None, site URL."""

    url: str
    title: str | None = None
    folder: str | None = None
    site_url: str | None = None


def _local(tag: object) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def read_opml(data: bytes) -> list[OpmlOutline]:
    """Read the subscriptions of an OPML document (nested folders joined with "/").

    Outlines whose ``xmlUrl`` is not http(s) or file (e.g. newsboat's ``|cmd``
    filters) are skipped; duplicate URLs keep their first occurrence.
    """
    from lxml import etree

    if not data or not data.strip():
        raise OpmlError("empty OPML document")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False
    )
    try:
        root = etree.fromstring(data.lstrip(), parser)
    except etree.XMLSyntaxError as exc:
        msg = str(exc.msg).split(", line ")[0]
        raise OpmlError(f"not an OPML document: XML error at line {exc.lineno}: {msg}") from None
    if root is None or _local(root.tag) != "opml":
        name = _local(root.tag) if root is not None else "?"
        raise OpmlError(f"not an OPML document: root element is <{name}>")
    body = next((el for el in root if _local(el.tag) == "body"), None)
    if body is None:
        raise OpmlError("not an OPML document: no <body>")
    found: list[OpmlOutline] = []
    seen: set[str] = set()

    def walk(parent: etree._Element, path: list[str], depth: int) -> None:
        if depth > _MAX_DEPTH:
            return
        for el in parent:
            if _local(el.tag) != "outline":
                continue
            label = (el.get("title") or el.get("text") or "").strip()
            url = (el.get("xmlUrl") or el.get("xmlurl") or "").strip()
            if not url and el.get("type", "").lower() in ("rss", "atom", "feed", "json"):
                url = (el.get("url") or "").strip()
            if url:
                if urlsplit(url).scheme.lower() in _SCHEMES and url not in seen:
                    seen.add(url)
                    site = (el.get("htmlUrl") or el.get("htmlurl") or "").strip() or None
                    found.append(
                        OpmlOutline(
                            url=url,
                            title=label or None,
                            folder="/".join(path) or None,
                            site_url=site,
                        )
                    )
            else:
                walk(el, [*path, label.replace("/", "∕")] if label else path, depth + 1)

    walk(body, [], 0)
    return found


def write_opml(outlines: Iterable[OpmlOutline], title: str = "Newsdesk subscriptions") -> str:
    """An OPML 2.0 document (UTF-8 XML text) with folders as nested outlines."""
    import xml.etree.ElementTree as ET
    from email.utils import formatdate

    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = formatdate(usegmt=True)
    body = ET.SubElement(root, "body")
    folders: dict[str, ET.Element] = {}

    def folder_element(path: str) -> ET.Element:
        if path in folders:
            return folders[path]
        parent_path, _, name = path.rpartition("/")
        parent = folder_element(parent_path) if parent_path else body
        el = ET.SubElement(parent, "outline", text=name, title=name)
        folders[path] = el
        return el

    for item in outlines:
        folder = (item.folder or "").strip("/")
        parent = folder_element(folder) if folder else body
        attrs = {"type": "rss", "text": item.title or ""}
        if item.title:
            attrs["title"] = item.title
        attrs["xmlUrl"] = item.url
        if item.site_url:
            attrs["htmlUrl"] = item.site_url
        ET.SubElement(parent, "outline", attrs)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

"""Render the application icon from ``resources/icons/newsdesk.svg`` with Qt's SVG renderer.

Writes ``resources/icons/hicolor/<N>x<N>/apps/newsdesk.png`` (the freedesktop
sizes), plus ``packaging/icons/newsdesk.ico`` (Windows, PNG-compressed entries)
and ``packaging/icons/newsdesk.icns`` (macOS, PNG entries). Both container
formats are written here by hand, so no Pillow or iconutil is needed.

Run: ``python packaging/render_icons.py`` (offscreen; no screen needed).
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SVG = REPO / "resources" / "icons" / "newsdesk.svg"
HICOLOR = REPO / "resources" / "icons" / "hicolor"
OUT = REPO / "packaging" / "icons"
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_TYPES = {  # OSType → pixel size (PNG payloads; Retina variants share sizes)
    b"icp4": 16,
    b"icp5": 32,
    b"ic11": 32,
    b"ic12": 64,
    b"ic07": 128,
    b"ic13": 256,
    b"ic08": 256,
    b"ic14": 512,
    b"ic09": 512,
    b"ic10": 1024,
}


def render_png(svg: Path, size: int) -> bytes:
    """The SVG drawn into a transparent ``size``×``size`` PNG."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"render_icons: {svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico holding PNG-compressed images (Vista and later read these)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, payload = b"", b""
    for size in sizes:
        data = pngs[size]
        dim = 0 if size >= 256 else size  # 0 means 256
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
        payload += data
    return header + entries + payload


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns holding PNG images."""
    body = b""
    for kind, size in ICNS_TYPES.items():
        data = pngs[size]
        body += kind + struct.pack(">I", len(data) + 8) + data
    return b"icns" + struct.pack(">I", len(body) + 8) + body


def main() -> int:
    """Render every size and write the files; prints what it wrote."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    needed = sorted(set(SIZES) | set(ICO_SIZES) | set(ICNS_TYPES.values()))
    pngs = {size: render_png(SVG, size) for size in needed}
    for size in SIZES:
        target = HICOLOR / f"{size}x{size}" / "apps" / "newsdesk.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(pngs[size])
    scalable = HICOLOR / "scalable" / "apps" / "newsdesk.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    scalable.write_bytes(SVG.read_bytes())
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "newsdesk.ico").write_bytes(ico_bytes({s: pngs[s] for s in ICO_SIZES}))
    (OUT / "newsdesk.icns").write_bytes(icns_bytes(pngs))
    (OUT / "newsdesk-1024.png").write_bytes(pngs[1024])
    print(f"render_icons: {len(SIZES)} PNG sizes in {HICOLOR}, .ico and .icns in {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

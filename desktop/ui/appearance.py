"""Theme and font size, applied to the running application (live)."""

from __future__ import annotations

from typing import Any

from desktop.paths import resources_dir
from desktop.ui.qt import QApplication, QColor, QGuiApplication, QPalette, QStyleFactory, Qt


def _read(name: str) -> str:
    path = resources_dir() / "styles" / name
    return path.read_text(encoding="utf-8") if path.exists() else ""


def system_is_dark() -> bool:
    """Whether the desktop asks for a dark scheme (Qt 6.5+; light when unknown)."""
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    return bool(scheme and scheme() == Qt.ColorScheme.Dark)


def dark_palette() -> QPalette:
    """A dark palette for the Fusion style."""
    p = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, "#1f2430"),
        (QPalette.ColorRole.WindowText, "#e5e7eb"),
        (QPalette.ColorRole.Base, "#161a22"),
        (QPalette.ColorRole.AlternateBase, "#1c212b"),
        (QPalette.ColorRole.Text, "#e5e7eb"),
        (QPalette.ColorRole.Button, "#2a303c"),
        (QPalette.ColorRole.ButtonText, "#e5e7eb"),
        (QPalette.ColorRole.Highlight, "#2563eb"),
        (QPalette.ColorRole.HighlightedText, "#ffffff"),
        (QPalette.ColorRole.ToolTipBase, "#2a303c"),
        (QPalette.ColorRole.ToolTipText, "#e5e7eb"),
        (QPalette.ColorRole.Link, "#93c5fd"),
        (QPalette.ColorRole.PlaceholderText, "#9ca3af"),
    ):
        p.setColor(role, QColor(colour))
    return p


def style_sheet(dark: bool, font_size: int) -> str:
    """The application style sheet for a theme and font size (0: the system's)."""
    sheet = _read("newsdesk.qss")
    if dark:
        sheet += "\n" + _read("newsdesk-dark.qss")
    if font_size:
        sheet += (
            f"\nQWidget {{ font-size: {font_size}pt; }}"
            f"\nQTreeWidget#sidebar {{ font-size: {font_size}pt; }}"
            f"\nQTextBrowser#readerPane {{ font-size: {font_size + 1}pt; }}"
        )
    return sheet


def apply_appearance(theme: str, font_size: int, app: Any = None) -> bool:
    """Apply ``theme`` ('system', 'light', 'dark') and ``font_size``; True when dark."""
    app = app or QApplication.instance()
    dark = theme == "dark" or (theme == "system" and system_is_dark())
    if dark:
        app.setStyle(QStyleFactory.create("Fusion"))
        app.setPalette(dark_palette())
    else:
        app.setPalette(app.style().standardPalette())
    app.setStyleSheet(style_sheet(dark, font_size))
    app.setProperty("newsdeskDark", dark)
    return dark

"""The keyboard help (``?``): every command and its keys, generated from the registry."""

from __future__ import annotations

import html
from typing import Any

from desktop.commands.registry import Registry
from desktop.ui.qt import QDialog, Qt, QTextBrowser, QVBoxLayout


def help_html(registry: Registry) -> str:
    """The help text: one table per category."""
    parts = ['<h2 style="margin:0 0 8px 0;">Keyboard</h2>']
    for category in registry.categories():
        rows = []
        for c in registry:
            if c.category != category:
                continue
            keys = (
                " ".join(
                    f'<span style="background-color:#f3f4f6; font-family:monospace;">&nbsp;'
                    f"{html.escape(k)}&nbsp;</span>"
                    for k in c.keys
                )
                or '<span style="color:#9ca3af;">palette</span>'
            )
            rows.append(
                f'<tr><td width="150">{keys}</td><td><b>{html.escape(c.title)}</b>'
                f'<br/><span style="color:#6b7280;">{html.escape(c.description)}</span></td></tr>'
            )
        parts.append(f'<h3 style="margin:10px 0 4px 0;">{html.escape(category)}</h3>')
        parts.append(f'<table cellspacing="2" cellpadding="3">{"".join(rows)}</table>')
    parts.append(
        '<p style="color:#6b7280;">Esc or ? closes this window. Ctrl+K runs any '
        "command by name.</p>"
    )
    return "".join(parts)


class HelpOverlay(QDialog):
    """A modal page of keys; Esc or ``?`` closes it."""

    def __init__(self, registry: Registry, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("helpOverlay")
        self.setWindowTitle("Newsdesk keyboard help")
        self.resize(620, 640)
        layout = QVBoxLayout(self)
        self.text = QTextBrowser(self)
        self.text.setHtml(help_html(registry))
        self.text.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        layout.addWidget(self.text)

    def keyPressEvent(self, event: Any) -> None:
        if event.text() == "?" or event.key() == Qt.Key.Key_Escape:
            self.accept()
            return
        super().keyPressEvent(event)

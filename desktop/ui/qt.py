"""The only module that imports PySide6: every other module takes Qt names from here.

Swapping the binding (or pinning a version-specific workaround) happens in
this one place.

Names resolve on first use (PEP 562): PySide6 builds a class's Python type and
its enum classes when the class is first touched, so importing the hundred
names below eagerly cost ~100 ms at start-up for dialogs that open later.
"""

from __future__ import annotations

import importlib
import sys as _sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtCore import (
        QAbstractItemModel,
        QByteArray,
        QEvent,
        QEventLoop,
        QItemSelectionModel,
        QMimeData,
        QModelIndex,
        QObject,
        QPersistentModelIndex,
        QPoint,
        QPointF,
        QRect,
        QSize,
        QSortFilterProxyModel,
        Qt,
        QTimer,
        QUrl,
        Signal,
        Slot,
    )
    from PySide6.QtGui import (
        QAction,
        QBrush,
        QColor,
        QDesktopServices,
        QDropEvent,
        QFont,
        QFontMetrics,
        QGuiApplication,
        QIcon,
        QImage,
        QKeyEvent,
        QKeySequence,
        QPainter,
        QPalette,
        QPen,
        QPixmap,
        QStandardItemModel,
        QTextDocument,
    )
    from PySide6.QtWidgets import (
        QAbstractItemView,
        QAbstractScrollArea,
        QApplication,
        QCheckBox,
        QComboBox,
        QDialog,
        QDialogButtonBox,
        QDoubleSpinBox,
        QFileDialog,
        QFormLayout,
        QFrame,
        QGroupBox,
        QHBoxLayout,
        QHeaderView,
        QInputDialog,
        QKeySequenceEdit,
        QLabel,
        QLineEdit,
        QListWidget,
        QListWidgetItem,
        QMainWindow,
        QMenu,
        QMessageBox,
        QProgressBar,
        QPushButton,
        QScrollArea,
        QSpinBox,
        QSplitter,
        QStackedWidget,
        QStatusBar,
        QStyle,
        QStyledItemDelegate,
        QStyleFactory,
        QStyleOptionViewItem,
        QSystemTrayIcon,
        QTableWidget,
        QTableWidgetItem,
        QTabWidget,
        QTextBrowser,
        QTextEdit,
        QToolBar,
        QTreeView,
        QTreeWidget,
        QTreeWidgetItem,
        QVBoxLayout,
        QWidget,
    )

_MODULES: dict[str, tuple[str, ...]] = {
    "QtCore": (
        "QAbstractItemModel",
        "QByteArray",
        "QEvent",
        "QEventLoop",
        "QItemSelectionModel",
        "QMimeData",
        "QModelIndex",
        "QObject",
        "QPersistentModelIndex",
        "QPoint",
        "QPointF",
        "QRect",
        "QSize",
        "QSortFilterProxyModel",
        "QTimer",
        "QUrl",
        "Qt",
        "Signal",
        "Slot",
    ),
    "QtGui": (
        "QAction",
        "QBrush",
        "QColor",
        "QDesktopServices",
        "QDropEvent",
        "QFont",
        "QFontMetrics",
        "QGuiApplication",
        "QIcon",
        "QImage",
        "QKeyEvent",
        "QKeySequence",
        "QPainter",
        "QPalette",
        "QPen",
        "QPixmap",
        "QStandardItemModel",
        "QTextDocument",
    ),
    "QtWidgets": (
        "QAbstractItemView",
        "QAbstractScrollArea",
        "QApplication",
        "QCheckBox",
        "QComboBox",
        "QDialog",
        "QDialogButtonBox",
        "QDoubleSpinBox",
        "QFileDialog",
        "QFormLayout",
        "QFrame",
        "QGroupBox",
        "QHBoxLayout",
        "QHeaderView",
        "QInputDialog",
        "QKeySequenceEdit",
        "QLabel",
        "QLineEdit",
        "QListWidget",
        "QListWidgetItem",
        "QMainWindow",
        "QMenu",
        "QMessageBox",
        "QProgressBar",
        "QPushButton",
        "QScrollArea",
        "QSpinBox",
        "QSplitter",
        "QStackedWidget",
        "QStatusBar",
        "QStyle",
        "QStyleFactory",
        "QStyleOptionViewItem",
        "QStyledItemDelegate",
        "QSystemTrayIcon",
        "QTabWidget",
        "QTableWidget",
        "QTableWidgetItem",
        "QTextBrowser",
        "QTextEdit",
        "QToolBar",
        "QTreeView",
        "QTreeWidget",
        "QTreeWidgetItem",
        "QVBoxLayout",
        "QWidget",
    ),
}
_WHERE = {name: module for module, names in _MODULES.items() for name in names}


# Plain ints for the ``Qt`` enum values the start-up path passes (item roles, alignment,
# enum properties set with ``setProperty``): naming the enums would build the whole
# namespace before the first paint (see _QtNamespace; tests/gui/test_fast_start.py
# checks each against its enum).
USER_ROLE = 256  # Qt.ItemDataRole.UserRole
DISPLAY_ROLE = 0
TOOLTIP_ROLE = 3
FONT_ROLE = 6
ALIGNMENT_ROLE = 7  # TextAlignmentRole
FOREGROUND_ROLE = 9
ACCESSIBLE_TEXT_ROLE = 11
ALIGN_RIGHT_VCENTER = 0x82  # Qt.AlignmentFlag.AlignRight | AlignVCenter
ALIGN_CENTER = 0x84  # Qt.AlignmentFlag.AlignCenter
VERTICAL = 2  # Qt.Orientation.Vertical
CLICK_FOCUS = 2  # Qt.FocusPolicy.ClickFocus
CUSTOM_CONTEXT_MENU = 3  # Qt.ContextMenuPolicy.CustomContextMenu


class _QtNamespace:
    """``Qt``, PySide6's namespace of enums, resolved at the first use of one of them.

    Touching the namespace builds all of its ~90 enum classes at once (~13 ms, the
    471 keys alone 3 ms): modules may name ``Qt`` at the top, and the start-up path
    uses none of its enums before the first paint (plain ints stand in where Qt takes
    them: item roles, alignment flags, ``setProperty``).
    """

    def __getattr__(self, name: str) -> Any:
        if "PySide6" not in _sys.modules:
            _load_pyside()
        value = getattr(importlib.import_module("PySide6.QtCore").Qt, name)
        setattr(self, name, value)  # later lookups skip this method
        return value

    def __repr__(self) -> str:
        return "<lazy PySide6.QtCore.Qt>"


def __getattr__(name: str) -> Any:
    if name == "Qt":
        value: Any = _QtNamespace()
        globals()[name] = value
        return value
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if "PySide6" not in _sys.modules:
        _load_pyside()
    value = getattr(importlib.import_module(f"PySide6.{module}"), name)
    globals()[name] = value
    return value


def _load_pyside() -> None:
    """Import PySide6 and tell its ``__feature__`` hook what it would find by itself.

    The hook reads the source of every module an import statement names after PySide6
    has loaded (``inspect.getsource``: ~0.2 ms a module, ~40 modules before the first
    paint) to learn whether it selects a feature (snake_case, true_property). None of
    ours does, and no module loaded before PySide6 can. The hook is internal to
    PySide6: without it (or in a frozen build, where the folder cannot be listed)
    modules are simply scanned as before.
    """
    import os

    importlib.import_module("PySide6.QtCore")
    feature = _sys.modules.get("shibokensupport.feature")
    known = getattr(feature, "pyside_feature_dict", None)
    if not isinstance(known, dict):
        return
    for loaded in list(_sys.modules):
        known.setdefault(loaded, -1)  # -1: ignored, as a scan finding no PySide6 gives
    here = os.path.dirname(__file__)
    for package, folder in ((__package__, here), (f"{__package__}.dialogs", f"{here}/dialogs")):
        try:
            entries = os.listdir(folder)
        except OSError:
            continue
        for entry in entries:
            if entry.endswith(".py"):
                stem = entry[:-3]
                known.setdefault(package if stem == "__init__" else f"{package}.{stem}", 0)


__all__ = [
    "ACCESSIBLE_TEXT_ROLE",
    "ALIGNMENT_ROLE",
    "ALIGN_CENTER",
    "ALIGN_RIGHT_VCENTER",
    "CLICK_FOCUS",
    "CUSTOM_CONTEXT_MENU",
    "DISPLAY_ROLE",
    "FONT_ROLE",
    "FOREGROUND_ROLE",
    "TOOLTIP_ROLE",
    "USER_ROLE",
    "VERTICAL",
    "QAbstractItemModel",
    "QAbstractItemView",
    "QAbstractScrollArea",
    "QAction",
    "QApplication",
    "QBrush",
    "QByteArray",
    "QCheckBox",
    "QColor",
    "QComboBox",
    "QDesktopServices",
    "QDialog",
    "QDialogButtonBox",
    "QDoubleSpinBox",
    "QDropEvent",
    "QEvent",
    "QEventLoop",
    "QFileDialog",
    "QFont",
    "QFontMetrics",
    "QFormLayout",
    "QFrame",
    "QGroupBox",
    "QGuiApplication",
    "QHBoxLayout",
    "QHeaderView",
    "QIcon",
    "QImage",
    "QInputDialog",
    "QItemSelectionModel",
    "QKeyEvent",
    "QKeySequence",
    "QKeySequenceEdit",
    "QLabel",
    "QLineEdit",
    "QListWidget",
    "QListWidgetItem",
    "QMainWindow",
    "QMenu",
    "QMessageBox",
    "QMimeData",
    "QModelIndex",
    "QObject",
    "QPainter",
    "QPalette",
    "QPen",
    "QPersistentModelIndex",
    "QPixmap",
    "QPoint",
    "QPointF",
    "QProgressBar",
    "QPushButton",
    "QRect",
    "QScrollArea",
    "QSize",
    "QSortFilterProxyModel",
    "QSpinBox",
    "QSplitter",
    "QStackedWidget",
    "QStandardItemModel",
    "QStatusBar",
    "QStyle",
    "QStyleFactory",
    "QStyleOptionViewItem",
    "QStyledItemDelegate",
    "QSystemTrayIcon",
    "QTabWidget",
    "QTableWidget",
    "QTableWidgetItem",
    "QTextBrowser",
    "QTextDocument",
    "QTextEdit",
    "QTimer",
    "QToolBar",
    "QTreeView",
    "QTreeWidget",
    "QTreeWidgetItem",
    "QUrl",
    "QVBoxLayout",
    "QWidget",
    "Qt",
    "Signal",
    "Slot",
]

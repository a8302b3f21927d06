"""The PyInstaller spec: its data files exist and its Qt filter drops what it should."""

from __future__ import annotations

import ast
import re
from typing import Any

from tests.packaging.conftest import PACKAGING, REPO

SPEC = PACKAGING / "newsdesk.spec"


def _constant(name: str) -> Any:
    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{name} not found in {SPEC}")


def test_the_resources_the_spec_bundles_exist() -> None:
    items = _constant("RESOURCE_ITEMS")
    for required in ("icons", "styles", "models", "taxonomy.json", "samples"):
        assert required in items
    for item in items:
        assert (REPO / "resources" / item).exists() or item == "samples", item
    assert (REPO / "resources" / "icons" / "newsdesk.svg").is_file()
    assert any((REPO / "resources" / "models").iterdir())
    # everything the app reads from resources/ ships; only build-time material stays out
    build_only = {"training", "metainfo"}
    shipped = {p.name for p in (REPO / "resources").iterdir()} - build_only
    assert shipped <= set(items), f"not bundled: {sorted(shipped - set(items))}"


def test_the_entry_script_starts_workers_before_the_app() -> None:
    text = (PACKAGING / "newsdesk_entry.py").read_text(encoding="utf-8")
    assert text.index("multiprocessing.freeze_support()") < text.index("from desktop.cli import")
    assert 'PKG / "newsdesk_entry.py"' in SPEC.read_text(encoding="utf-8")


def test_the_qt_filter_drops_unused_parts_and_keeps_the_needed_ones() -> None:
    drop = re.compile("|".join(f"(?:{p})" for p in _constant("DROP")))
    dropped = [
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
        "PySide6/Qt/plugins/platforms/libqeglfs.so",
        "PySide6/Qt/plugins/platforms/libqvnc.so",
        "PySide6/Qt/plugins/imageformats/libqpdf.so",
        "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
        "PySide6/Qt/translations/qtbase_de.qm",
        "PySide6/Qt/lib/libQt6Pdf.so.6",
        "PySide6/Qt/lib/libQt6Network.so.6",
    ]
    kept = [
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqwayland.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so",
        "PySide6/Qt/plugins/imageformats/libqsvg.so",
        "PySide6/Qt/plugins/imageformats/libqjpeg.so",
        "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
        "PySide6/Qt/plugins/xcbglintegrations/libqxcb-glx-integration.so",
        "PySide6/Qt/lib/libQt6Widgets.so.6",
        "PySide6/Qt/lib/libQt6XcbQpa.so.6",
        "PySide6/Qt/lib/libQt6DBus.so.6",
        "PySide6/Qt/lib/libQt6Svg.so.6",
        "PySide6/QtWidgets.abi3.so",
        "libxkbcommon.so.0",
        "libxkbcommon-x11.so.0",
        "libwayland-cursor.so.0",
        "libXcursor.so.1",
        "libpython3.11.so.1.0",
        "resources/samples/le-fil.xml",
    ]
    assert [p for p in dropped if not drop.search(p)] == []
    assert [p for p in kept if drop.search(p)] == []


def test_the_bundle_leaves_out_training_only_modules() -> None:
    excludes = _constant("EXCLUDES")
    assert {"sklearn", "scipy", "pytest", "tkinter"} <= set(excludes)


def test_macos_info_plist_matches_the_app() -> None:
    import plistlib

    from desktop import __version__

    info = plistlib.loads((PACKAGING / "macos" / "Info.plist").read_bytes())
    assert info["CFBundleExecutable"] == "newsdesk"
    assert info["CFBundleShortVersionString"] == __version__
    assert info["CFBundleIconFile"] == "newsdesk.icns"
    metainfo = next((REPO / "resources" / "metainfo").glob("*.metainfo.xml"))
    assert metainfo.name == f"{info['CFBundleIdentifier']}.metainfo.xml"


def test_workflow_copies_are_identical() -> None:
    a = (PACKAGING / "github-workflow.yml").read_bytes()
    b = (REPO / ".github" / "workflows" / "release.yml").read_bytes()
    assert a == b


def test_workflow_builds_on_three_platforms() -> None:
    text = (PACKAGING / "github-workflow.yml").read_text(encoding="utf-8")
    runners = re.findall(r"^    runs-on: (\S+)$", text, re.M)
    for os_name in ("ubuntu", "windows", "macos"):
        assert any(r.startswith(os_name) for r in runners), runners
    for script in re.findall(r"(?<![\w/])packaging/[\w./-]*\w", text):
        assert (REPO / script).exists(), script
    try:
        import yaml
    except ImportError:
        return
    doc = yaml.safe_load(text)
    assert {"linux", "windows", "macos"} <= set(doc["jobs"])

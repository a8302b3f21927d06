"""The .desktop file, the AppStream metainfo and the hicolor icons."""

from __future__ import annotations

import configparser
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from tests.packaging.conftest import PACKAGING, REPO

DESKTOP = REPO / "resources" / "newsdesk.desktop"
METAINFO_DIR = REPO / "resources" / "metainfo"
HICOLOR = REPO / "resources" / "icons" / "hicolor"
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def _metainfo() -> Path:
    files = sorted(METAINFO_DIR.glob("*.metainfo.xml"))
    assert len(files) == 1, files
    return files[0]


def test_desktop_entry_fields() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DESKTOP, encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Exec"].split()[0] == "newsdesk"  # /usr/bin/newsdesk in the .deb
    assert entry["Icon"] == "newsdesk"  # the hicolor name the .deb installs
    assert entry["Terminal"] == "false"
    assert "News" in entry["Categories"].split(";")


@pytest.mark.skipif(not shutil.which("desktop-file-validate"), reason="no desktop-file-utils")
def test_desktop_file_validate() -> None:
    proc = subprocess.run(
        ["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr


def test_desktop_file_validate_catches_a_broken_entry(tmp_path: Path) -> None:
    if not shutil.which("desktop-file-validate"):
        pytest.skip("no desktop-file-utils")
    bad = tmp_path / "bad.desktop"
    bad.write_text(DESKTOP.read_text().replace("Type=Application", "Type=Nonsense"))
    proc = subprocess.run(["desktop-file-validate", str(bad)], capture_output=True, check=False)
    assert proc.returncode != 0


def test_metainfo_is_well_formed_and_points_at_the_desktop_file() -> None:
    path = _metainfo()
    root = etree.parse(str(path)).getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    app_id = root.findtext("id")
    assert path.name == f"{app_id}.metainfo.xml"
    assert root.findtext("launchable[@type='desktop-id']") == DESKTOP.name
    assert root.findtext("provides/binary") == "newsdesk"
    from desktop import __version__

    assert root.find("releases/release").get("version") == __version__


@pytest.mark.skipif(not shutil.which("appstreamcli"), reason="no appstream")
def test_appstreamcli_validate() -> None:
    proc = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(_metainfo())],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_hicolor_icons_at_every_size() -> None:
    for size in SIZES:
        png = HICOLOR / f"{size}x{size}" / "apps" / "newsdesk.png"
        assert _png_size(png.read_bytes()) == (size, size), png
    assert (HICOLOR / "scalable" / "apps" / "newsdesk.svg").is_file()


def test_windows_and_macos_icon_containers() -> None:
    ico = (PACKAGING / "icons" / "newsdesk.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind) == (0, 1) and count >= 5
    for n in range(count):
        width, _h, _c, _r, _p, _b, length, offset = struct.unpack(
            "<BBBBHHII", ico[6 + 16 * n : 22 + 16 * n]
        )
        w, _ = _png_size(ico[offset : offset + length])
        assert w == (width or 256)
    icns = (PACKAGING / "icons" / "newsdesk.icns").read_bytes()
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)
    pos, kinds = 8, []
    while pos < len(icns):
        kinds.append(icns[pos : pos + 4])
        pos += struct.unpack(">I", icns[pos + 4 : pos + 8])[0]
    assert pos == len(icns) and b"ic10" in kinds and b"ic07" in kinds


SERVE_UNIT = PACKAGING / "systemd" / "newsdesk-serve.service"


def test_serve_unit_runs_the_headless_fetcher() -> None:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(SERVE_UNIT, encoding="utf-8")
    assert parser["Service"]["ExecStart"] == "/usr/bin/newsdesk serve"
    assert parser["Install"]["WantedBy"] == "default.target"
    build = (PACKAGING / "build-linux").read_text(encoding="utf-8")
    assert "usr/lib/systemd/user" in build and "newsdesk-serve.service" in build


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze absent")
def test_serve_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    # verify needs the command to exist: point it at a real executable.
    unit = tmp_path / SERVE_UNIT.name
    unit.write_text(
        SERVE_UNIT.read_text(encoding="utf-8").replace("/usr/bin/newsdesk", "/bin/true"),
        encoding="utf-8",
    )
    proc = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr

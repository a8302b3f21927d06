"""The Debian control template, the maintainer scripts and the WiX source, built for real
on tiny stand-in trees (the full bundle is built by the slow ``packaging`` test)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.packaging.conftest import PACKAGING, REPO

CONTROL = PACKAGING / "debian" / "control.in"
REQUIRED_DEPENDS = ("libc6", "libgl1", "libegl1", "libxcb1", "fontconfig-config", "fonts-dejavu")


def _control(version: str = "0.1.0") -> str:
    return (
        CONTROL.read_text(encoding="utf-8")
        .replace("@VERSION@", version)
        .replace("@ARCH@", "amd64")
        .replace("@INSTALLED_SIZE@", "1")
        .replace("@GLIBC@", "2.34")
        .replace("@MAINTAINER@", "Test <test@example.invalid>")
    )


def test_control_declares_the_runtime_dependencies() -> None:
    depends = next(
        line for line in _control().splitlines() if line.startswith("Depends:")
    ).removeprefix("Depends:")
    names = [alt.strip().split()[0] for dep in depends.split(",") for alt in dep.split("|")]
    for required in REQUIRED_DEPENDS:
        assert any(n.startswith(required) for n in names), required
    assert "libc6 (>= 2.34)" in depends
    assert not any(n.startswith("python") for n in names)  # the bundle carries its own


@pytest.mark.skipif(not shutil.which("dpkg-deb"), reason="no dpkg-deb")
def test_a_package_built_from_the_templates_is_accepted_by_dpkg(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "opt" / "newsdesk").mkdir(parents=True)
    (root / "opt" / "newsdesk" / "newsdesk").write_text("#!/bin/sh\n")
    (root / "DEBIAN" / "control").write_text(_control(), encoding="utf-8")
    for script in ("postinst", "postrm"):
        shutil.copy(PACKAGING / "debian" / script, root / "DEBIAN" / script)
        assert os.access(root / "DEBIAN" / script, os.X_OK)
    deb = tmp_path / "t.deb"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Zzstd", "-z3", "--build", str(root), str(deb)],
        check=True,
        capture_output=True,
    )
    info = subprocess.run(
        ["dpkg-deb", "--field", str(deb), "Package", "Version", "Depends"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "Package: newsdesk" in info and "libegl1" in info
    # dpkg refuses a malformed control file: the same tree with a broken version fails
    (root / "DEBIAN" / "control").write_text(_control("not a version!"), encoding="utf-8")
    bad = subprocess.run(
        ["dpkg-deb", "--build", str(root), str(tmp_path / "bad.deb")], capture_output=True
    )
    assert bad.returncode != 0


@pytest.mark.skipif(not shutil.which("sh"), reason="no sh")
def test_maintainer_scripts_are_valid_sh() -> None:
    for script in ("postinst", "postrm"):
        subprocess.run(["sh", "-n", str(PACKAGING / "debian" / script)], check=True)


@pytest.mark.skipif(not shutil.which("wixl"), reason="no wixl (apt-get install wixl)")
def test_wix_source_compiles_with_wixl(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    (bundle / "_internal" / "PySide6").mkdir(parents=True)
    (bundle / "newsdesk.exe").write_bytes(b"MZ stand-in")
    (bundle / "newsdesk-cli.exe").write_bytes(b"MZ stand-in")
    (bundle / "_internal" / "python311.dll").write_bytes(b"dll")
    (bundle / "_internal" / "PySide6" / "Qt6Core.dll").write_bytes(b"dll")
    out = tmp_path / "wix"
    proc = subprocess.run(
        [str(PACKAGING / "windows" / "check-wxs.sh"), str(bundle), str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    msi = out / "newsdesk-syntax-check.msi"
    assert msi.read_bytes()[:8] == bytes.fromhex("d0cf11e0a1b11ae1")  # an OLE compound file
    if shutil.which("msiinfo"):
        shortcut = subprocess.run(
            ["msiinfo", "export", str(msi), "Shortcut"], capture_output=True, text=True
        ).stdout
        assert "[INSTALLDIR]newsdesk.exe" in shortcut and "NewsdeskIcon" in shortcut
        files = subprocess.run(
            ["msiinfo", "export", str(msi), "File"], capture_output=True, text=True
        ).stdout
        assert "Qt6Core.dll" in files and "newsdesk-cli.exe" in files


@pytest.mark.packaging
@pytest.mark.timeout(3600)
def test_deb_installs_and_passes_self_test_in_a_minimal_debian() -> None:
    """Build the bundle, the .deb and the tarball, then install into debootstrap minbase."""
    if os.geteuid() != 0:
        pytest.skip("needs root (chroot)")
    subprocess.run([str(PACKAGING / "build-linux")], cwd=REPO, check=True, timeout=1800)
    proc = subprocess.run(
        [str(PACKAGING / "test-deb-in-minbase")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "self-test: ok (" in proc.stdout
    assert "every shared library of the bundle resolves" in proc.stdout

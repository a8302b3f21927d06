#!/usr/bin/env bash
# Make an AppImage from the Linux bundle tarball. RELEASE JOB ONLY: it downloads
# appimagetool (and, through it, the AppImage runtime) from GitHub, which the
# development machines cannot reach. Called by the `appimage` job of
# packaging/github-workflow.yml.
#
#   packaging/appimage/build-appimage.sh dist/newsdesk-<version>-linux-x86_64.tar.gz [OUT_DIR]
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
TARBALL=$1
OUT=${2:-$REPO/dist}
TOOL_URL=${APPIMAGETOOL_URL:-https://github.com/AppImage/appimagetool/releases/download/continuous/appimagetool-x86_64.AppImage}
VERSION=$(basename "$TARBALL" | sed -n 's/^newsdesk-\(.*\)-linux-.*\.tar\.gz$/\1/p')
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
APPDIR=$WORK/Newsdesk.AppDir
mkdir -p "$APPDIR/opt" "$APPDIR/usr/share/metainfo" "$APPDIR/usr/share/icons/hicolor"
tar -C "$APPDIR/opt" -xzf "$TARBALL"
cat > "$APPDIR/AppRun" <<'RUN'
#!/bin/sh
HERE=$(dirname "$(readlink -f "$0")")
exec "$HERE/opt/newsdesk/newsdesk" "$@"
RUN
chmod 755 "$APPDIR/AppRun"
cp "$REPO/resources/newsdesk.desktop" "$APPDIR/newsdesk.desktop"
cp "$REPO/resources/icons/hicolor/256x256/apps/newsdesk.png" "$APPDIR/newsdesk.png"
cp -r "$REPO/resources/icons/hicolor/." "$APPDIR/usr/share/icons/hicolor/"
cp "$REPO"/resources/metainfo/*.metainfo.xml "$APPDIR/usr/share/metainfo/"
curl -fsSL -o "$WORK/appimagetool" "$TOOL_URL"
chmod +x "$WORK/appimagetool"
mkdir -p "$OUT"
ARCH=x86_64 VERSION=$VERSION "$WORK/appimagetool" --no-appstream "$APPDIR" \
  "$OUT/Newsdesk-$VERSION-x86_64.AppImage"
# The AppImage must pass the same self-test as the .deb.
QT_QPA_PLATFORM=offscreen "$OUT/Newsdesk-$VERSION-x86_64.AppImage" self-test

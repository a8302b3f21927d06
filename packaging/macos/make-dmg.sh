#!/usr/bin/env bash
# Make a drag-to-Applications disk image from dist/Newsdesk.app (macOS runner).
#
#   packaging/macos/make-dmg.sh [APP] [OUT_DMG]
#
# Needs create-dmg (brew install create-dmg) and hdiutil (macOS). The app is
# not signed or notarised here: that needs the project's Apple Developer ID
# (codesign --deep --options runtime, then xcrun notarytool submit --wait and
# xcrun stapler staple), which a release job adds with its secrets.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
APP=${1:-$REPO/dist/Newsdesk.app}
VERSION=$(/usr/libexec/PlistBuddy -c 'Print CFBundleShortVersionString' "$APP/Contents/Info.plist")
OUT=${2:-$REPO/dist/Newsdesk-$VERSION-macos-$(uname -m).dmg}
[ -d "$APP" ] || { echo "make-dmg: no app bundle at $APP" >&2; exit 2; }
command -v create-dmg >/dev/null || { echo "make-dmg: brew install create-dmg" >&2; exit 2; }
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
cp -R "$APP" "$STAGE/"
rm -f "$OUT"
create-dmg \
  --volname "Newsdesk $VERSION" \
  --volicon "$REPO/packaging/icons/newsdesk.icns" \
  --window-size 540 360 \
  --icon-size 96 \
  --icon "Newsdesk.app" 140 170 \
  --app-drop-link 400 170 \
  --hide-extension "Newsdesk.app" \
  "$OUT" "$STAGE"
echo "make-dmg: $OUT ($(du -h "$OUT" | cut -f1))"

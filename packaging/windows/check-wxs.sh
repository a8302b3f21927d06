#!/usr/bin/env bash
# Syntax check of the WiX source on Linux: list a bundle's files with wixl-heat
# and compile an MSI with wixl (msitools). wixl supports a subset of WiX 3 and
# runs no ICE validation: this proves the source parses and links, not that
# Windows Installer accepts every table (the Windows CI job does that).
#
#   packaging/windows/check-wxs.sh [BUNDLE_DIR] [OUT_DIR]
#
# BUNDLE_DIR defaults to dist/newsdesk (the Linux bundle stands in for the
# Windows one); OUT_DIR to build/wix. Needs: apt-get install wixl.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUNDLE=$(cd "${1:-$REPO/dist/newsdesk}" && pwd)
OUT=${2:-$REPO/build/wix}
VERSION=${NEWSDESK_VERSION:-$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$REPO/desktop/__init__.py")}
command -v wixl >/dev/null || { echo "check-wxs: wixl is not installed (apt-get install wixl)" >&2; exit 2; }
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
(cd "$BUNDLE" && find . -type f | sed 's|^\./||' | sort) \
  | wixl-heat --prefix "" --component-group BundleFiles --directory-ref INSTALLDIR \
      --var var.SourceDir --win64 > "$OUT/bundle-files.wxs"
# wixl resolves sources relative to the folder it runs in and refuses absolute
# paths: link the bundle and the icon next to a copy of the source.
cp "$REPO/packaging/windows/newsdesk.wxs" "$OUT/newsdesk.wxs"
ln -sfn "$BUNDLE" "$OUT/bundle"
ln -sf "$REPO/packaging/icons/newsdesk.ico" "$OUT/newsdesk.ico"
(cd "$OUT" && wixl --arch x64 -D Win64=yes -D "Version=$VERSION" -D SourceDir=bundle \
  -D IconFile=newsdesk.ico -o newsdesk-syntax-check.msi newsdesk.wxs bundle-files.wxs)
echo "check-wxs: $OUT/newsdesk-syntax-check.msi ($(du -k "$OUT/newsdesk-syntax-check.msi" | cut -f1) KiB)"

#!/usr/bin/env bash
# Builds the Linux desktop package: a tar.gz laid out like a prefix (bin/,
# share/applications/, share/icons/), so that
#   tar -xzf robotbridge-VERSION-linux-ARCH.tar.gz -C ~/.local
# installs it for one user (or -C /usr/local for everyone).
#
#   scripts/package-linux.sh BIN VERSION OUTDIR
set -euo pipefail

bin=${1:?usage: package-linux.sh BIN VERSION OUTDIR}
version=${2:?usage: package-linux.sh BIN VERSION OUTDIR}
outdir=${3:?usage: package-linux.sh BIN VERSION OUTDIR}
cd "$(dirname "$0")/.."

arch=$(go env GOARCH)
name="robotbridge-$version-linux-$arch"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

install -D -m 0755 "$bin" "$stage/bin/robotbridge"
install -D -m 0644 assets/linux/io.robotbridge.app.desktop \
	"$stage/share/applications/io.robotbridge.app.desktop"
install -D -m 0644 assets/icon.png "$stage/share/icons/hicolor/64x64/apps/io.robotbridge.app.png"
if command -v desktop-file-validate >/dev/null; then
	desktop-file-validate "$stage/share/applications/io.robotbridge.app.desktop"
fi

mkdir -p "$outdir"
tar -C "$stage" --owner=0 --group=0 --sort=name -czf "$outdir/$name.tar.gz" bin share
echo "package: $outdir/$name.tar.gz"
tar -tzf "$outdir/$name.tar.gz"

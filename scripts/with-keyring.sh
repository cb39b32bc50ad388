#!/usr/bin/env bash
# Runs a command (e.g. `go test ./...`) inside a private D-Bus session with
# an unlocked gnome-keyring, so that tests reach a real Secret Service.
# Recipe: ../shared/notes/ci-recipe.md, section 3. Needs the Debian
# packages dbus, gnome-keyring and libsecret-tools (.ci/run installs them).
set -eu

if ! command -v dbus-run-session >/dev/null || ! command -v gnome-keyring-daemon >/dev/null
then
	echo "with-keyring.sh: dbus-run-session or gnome-keyring-daemon not found;" \
		"running without a Secret Service (the real keyring tests will skip)" >&2
	exec "$@"
fi

# A fresh keyrings folder (HOME stays, so Go's caches do too) and a fixed
# runtime folder, so gnome-keyring's control socket is where it looks.
XDG_DATA_HOME="$(mktemp -d)"
XDG_RUNTIME_DIR="$(mktemp -d)"
chmod 700 "$XDG_RUNTIME_DIR"
export XDG_DATA_HOME XDG_RUNTIME_DIR
trap 'rm -rf "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"' EXIT

rc=0
dbus-run-session -- sh -c '
  printf %s ci-keyring-pass | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
  KPID=$!
  i=0; until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q true; do
    i=$((i+1)); [ $i -lt 100 ] || { echo "secret service did not appear" >&2; kill $KPID; exit 1; }; sleep 0.1; done
  rc=0; "$@" || rc=$?
  kill $KPID 2>/dev/null; wait $KPID 2>/dev/null; exit $rc' sh "$@" || rc=$?
exit $rc

#!/usr/bin/env bash
# Runs the real desktop app under Xvfb, writes a PNG of every tab and of
# the consent dialog to OUT, and checks that the Processes tab lists what
# the engine serves. `make screenshots` and `make test` run it.
#
#   scripts/gui-screenshots.sh BIN OUT
#
# The app starts its own engine on a free port with a throw-away config
# folder; this script talks to it only over loopback and its control
# socket. Needs: Xvfb, xdpyinfo and xwininfo (x11-utils), dbus-run-session,
# curl, and import from ImageMagick.
set -euo pipefail

bin=$(realpath "${1:?usage: gui-screenshots.sh BIN OUT}")
out=${2:?usage: gui-screenshots.sh BIN OUT}
mkdir -p "$out"
out=$(realpath "$out")
rm -f "$out"/*.png "$out"/processes.txt "$out"/loaded "$out"/start "$out"/tabs.done \
	"$out"/want-*

work=$(mktemp -d)
xpid='' apid=''
# The app runs in its own process group (setsid), so that one kill ends
# it, its D-Bus session and anything they started.
cleanup() {
	set +e
	if [ -n "$apid" ]; then kill -- "-$apid" 2>/dev/null; wait "$apid" 2>/dev/null; fi
	if [ -n "$xpid" ]; then kill "$xpid" 2>/dev/null; wait "$xpid" 2>/dev/null; fi
	rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "gui-screenshots: $*" >&2; exit 1; }

# wait_for DESCRIPTION SECONDS COMMAND...: poll until COMMAND succeeds.
wait_for() {
	local what=$1 limit=$2; shift 2
	local end=$((SECONDS + limit))
	until "$@" >/dev/null 2>&1; do
		[ -n "$apid" ] && ! kill -0 "$apid" 2>/dev/null && fail "the app exited while waiting for $what"
		[ $SECONDS -lt $end ] || fail "gave up after ${limit}s waiting for $what"
		sleep 0.2
	done
}

# Fyne's locale parser rejects "C"; its preferences go to the temp folder.
export LANG=en_US.UTF-8 XDG_CONFIG_HOME="$work/xdg" XDG_DATA_HOME="$work/data"
unset DBUS_SESSION_BUS_ADDRESS

# A free display, chosen by Xvfb itself.
exec 3>"$work/display"
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
xpid=$!
exec 3>&-
wait_for "Xvfb" 10 test -s "$work/display"
export DISPLAY=":$(cat "$work/display")"
wait_for "the X display" 10 xdpyinfo

cfg="$work/config"
sock="$cfg/control.sock"
setsid dbus-run-session -- "$bin" gui --config-dir "$cfg" --port -1 \
	--allow-origin https://intranet.example.com --screenshots "$out" \
	>"$work/app.log" 2>&1 &
apid=$!

# shoot NAME: when the app asks (want-NAME), grab its window from the X
# server once two grabs in a row are the same (the redraw is over), and
# write NAME.png for the app to go on.
shoot() {
	local name=$1 win end
	wait_for "the app to show $name" 60 test -e "$out/want-$name"
	win=$(LC_ALL=C xwininfo -name robotbridge | awk '/Window id:/ { print $4 }')
	[ -n "$win" ] || fail "no robotbridge window on $DISPLAY"
	import -window "$win" "rgb:$work/prev"
	end=$((SECONDS + 10))
	while :; do
		sleep 0.3
		import -window "$win" "rgb:$work/cur"
		cmp -s "$work/prev" "$work/cur" && break
		[ $SECONDS -lt $end ] || break # keep the last grab of a window that keeps moving
		mv "$work/cur" "$work/prev"
	done
	import -window "$win" "$work/shot.png"
	mv "$work/shot.png" "$out/$name.png"
	rm -f "$out/want-$name"
}

api() { curl -sf --unix-socket "$sock" "$@"; }
wait_for "the engine's control socket" 30 api http://robotbridge/v1/status
wait_for "the app's process list" 30 test -e "$out/loaded"
# Compare the names in the Processes tab with the engine's list (as the
# CLI prints it: a header line, then one process per line).
"$bin" processes --config-dir "$cfg" | awk 'NR > 1 && !/^broken package/ { print $1 }' |
	sort >"$work/engine.txt"
sort "$out/processes.txt" >"$work/shown.txt"
[ -s "$work/engine.txt" ] || fail "the engine lists no processes"
diff -u "$work/engine.txt" "$work/shown.txt" ||
	fail "the Processes tab does not show the engine's processes"

# Give the tabs something to show: jobs in each state and an approved site.
run() { api -X POST -H 'Content-Type: application/json' -d "$1" http://robotbridge/v1/jobs; }
run '{"process":"echo","arguments":{"text":"hello"}}' >/dev/null
run '{"process":"fail","arguments":{"message":"Invoice file not found"}}' >/dev/null
run '{"process":"events","arguments":{}}' >/dev/null
run '{"process":"sleep","arguments":{"seconds":60}}' >/dev/null
ended() {
	[ "$(api http://robotbridge/v1/jobs | grep -Eo '"state":"(successful|faulted)"' | wc -l)" -ge 3 ]
}
wait_for "three jobs to end" 30 ended

port=$(api http://robotbridge/v1/status | grep -o '"discoveryPort":[0-9]*' | cut -d: -f2)
ask() { curl -s -o /dev/null -H "Origin: $1" "http://127.0.0.1:$port/GetPort?consentCode=$2"; }
ask https://crm.example.com 604118
api -X POST -d '{"code":"604118"}' http://robotbridge/v1/sites/approve >/dev/null
touch "$out/start"

for tab in processes jobs sites connections settings logs; do
	shoot "tab-$tab"
done
wait_for "the app to finish the tabs" 30 test -e "$out/tabs.done"
ask https://shop.example.org:8443 482913
shoot consent

wait "$apid" || { rc=$?; apid=''; cat "$work/app.log" >&2; fail "the app exited with $rc"; }
apid=''
for f in tab-processes tab-jobs tab-sites tab-connections tab-settings tab-logs consent; do
	[ -s "$out/$f.png" ] || fail "missing $out/$f.png"
done
rm -f "$out"/loaded "$out"/start "$out"/tabs.done "$work"/prev "$work"/cur
echo "gui-screenshots: the window listed the engine's $(wc -l <"$work/engine.txt") processes;" \
	"screenshots in $out"

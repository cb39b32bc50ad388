#!/usr/bin/env bash
# Benchmarks of robotbridge, reported and never asserted (docs/benchmarks.md):
#   1. bridge request latency against a bare net/http handler (Go benchmarks)
#   2. job start overhead against a bare fork/exec (Go benchmarks)
#   3. the engine's idle RSS and CPU, and 100 concurrent jobs through the
#      HTTP API with a check for leaked fds, zombies and goroutines.
#   4. the webhook relay (issue 6): 1,000 signed calls a second for
#      RELAY_SECONDS (default 5) to a relay process with 200 subscribers.
# Run it through `make bench` (which builds bin/robotbridge first). Linux
# only: it reads /proc. All traffic stays on 127.0.0.1.
set -euo pipefail

cd "$(dirname "$0")/.."
# The engine as `make run` and the tests start it (built without cgo); the
# full binary with the desktop app linked in is measured idle as well.
BIN=${ROBOTBRIDGE_BIN:-bin/robotbridge-engine}
FULL_BIN=${ROBOTBRIDGE_FULL_BIN:-bin/robotbridge}
GO=${GO:-go}
BENCHTIME=${BENCHTIME:-0.5s}
ORIGIN=http://127.0.0.1:9999 # pre-approved with --allow-origin
JOBS=100

WORK=$(mktemp -d)
ENGINE_PIDS=()

# ENGINE_PIDS holds the engines still to be reaped; a pid leaves the list
# as soon as it is waited for, so cleanup never signals a reused pid.
cleanup() {
	for pid in "${ENGINE_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

# reap PID [SIGNAL] stops one engine this script started and waits for it.
reap() {
	kill "-${2:-TERM}" "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	local kept=() p
	for p in "${ENGINE_PIDS[@]}"; do
		[[ $p == "$1" ]] || kept+=("$p")
	done
	ENGINE_PIDS=("${kept[@]}")
}

[[ -x $BIN ]] || { echo "bench: $BIN not found; run 'make bench'" >&2; exit 1; }

# ---- 1 and 2: Go benchmarks --------------------------------------------------

run_go_benchmarks() {
	echo "== Go benchmarks (benchtime $BENCHTIME) =="
	"$GO" test -run '^$' -bench '^Benchmark(Request|RequestPaired|Handler|Job)' \
		-benchtime "$BENCHTIME" -count 1 ./bridge ./robot | tee "$WORK/bench.txt"
	# Event stream (issue 8) and history (issue 4): fixed, small counts.
	"$GO" test -run '^$' -bench '^BenchmarkStreamFanout$' -benchtime 500x -count 1 ./bridge \
		| tee -a "$WORK/bench.txt"
	"$GO" test -run '^$' -bench '^BenchmarkStreamIdle$' -benchtime 5x -count 1 ./bridge \
		| tee -a "$WORK/bench.txt"
	"$GO" test -run '^$' -bench '^BenchmarkHistory' -benchtime 1000x -count 1 ./robot \
		| tee -a "$WORK/bench.txt"
	# Webhook relay (issue 6): each x is one second of load, bounded.
	"$GO" test -run '^$' -bench '^BenchmarkRelayLoad$' -benchtime "${RELAY_SECONDS:-5}x" \
		-count 1 ./relay | tee -a "$WORK/bench.txt"
}

# metric NAME UNIT prints the value before UNIT on the result line of
# benchmark NAME (the -N GOMAXPROCS suffix is ignored).
metric() {
	awk -v n="$1" -v u="$2" '
		$1 ~ "^" n "(-[0-9]+)?$" {
			for (i = 2; i <= NF; i++) if ($i == u) { print $(i - 1); exit }
		}
	' "$WORK/bench.txt"
}

# calc EXPR evaluates a floating-point expression.
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }

# ---- 3: the engine as a process ------------------------------------------------

# free_port prints a loopback TCP port nobody listens on (v4 or v6).
free_port() {
	local port hex
	for _ in $(seq 50); do
		port=$((20000 + RANDOM % 30000))
		hex=$(printf '%04X' "$port")
		# field 2 is the local address (hex port last), 4 the state (0A: listen)
		if ! awk -v h=":$hex" '
			NR > 1 && $4 == "0A" && substr($2, length($2) - 4) == h { f = 1 }
			END { exit !f }' /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
			echo "$port"
			return
		fi
	done
	return 1
}

# start_engine NAME starts `robotbridge serve` on free ports, waits for its
# ready line and sets PID and API. Its output goes to $WORK/NAME.log.
start_engine() {
	local name=$1 log="$WORK/$1.log" port
	for _ in 1 2 3; do # a port can be taken between the check and the bind
		port=$(free_port)
		mkdir -p "$WORK/$name.cfg"
		# GOTRACEBACK=all: SIGQUIT at the end dumps every goroutine to count.
		GOTRACEBACK=all "$BIN" serve --port "$port" --api-port 0 \
			--config-dir "$WORK/$name.cfg" --allow-origin "$ORIGIN" >"$log" 2>&1 &
		PID=$!
		ENGINE_PIDS+=("$PID")
		if wait_ready "$log"; then
			API=$(grep -o 'API on http://localhost:[0-9]*' "$log" | cut -d: -f3)
			API=http://127.0.0.1:$API
			return
		fi
		reap "$PID"
	done
	echo "bench: the engine did not start:" >&2
	cat "$log" >&2
	exit 1
}

# wait_ready polls the log for the ready line for up to 10 s; it fails
# early when the engine exits.
wait_ready() {
	for _ in $(seq 200); do
		grep -q 'API on http://localhost:[0-9]' "$1" && return 0
		kill -0 "$PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }
fd_count() { ls "/proc/$1/fd" | wc -l; }
thread_count() { awk '/^Threads/ { print $2 }' "/proc/$1/status"; }

# cpu_ticks prints utime+stime; the fields are counted after the ")" that
# ends the command name.
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# children prints how many child processes PID has, and how many are zombies.
children() {
	local stats
	stats=$(ps -o stat= --ppid "$1" || true)
	echo "$(grep -c . <<<"$stats" || true) $(grep -c '^Z' <<<"$stats" || true)"
}

measure_idle() {
	echo
	echo "== engine idle =="
	start_engine idle
	sleep 3 # let start-up work (page faults, first GC) settle first
	local t0 t1
	t0=$(cpu_ticks "$PID")
	sleep 5
	t1=$(cpu_ticks "$PID")
	IDLE_RSS_KB=$(rss_kb "$PID")
	IDLE_TICKS=$((t1 - t0))
	echo "VmRSS ${IDLE_RSS_KB} kB, CPU ticks over 5 s: $IDLE_TICKS" \
		"($(getconf CLK_TCK)/s), threads $(thread_count "$PID")"
}

# measure_idle_full measures the full binary's `serve` idle, if built.
measure_idle_full() {
	FULL_RSS_KB="-"
	[[ -x $FULL_BIN ]] || return 0
	local engine_bin=$BIN rss=$IDLE_RSS_KB ticks=$IDLE_TICKS
	BIN=$FULL_BIN
	measure_idle
	FULL_RSS_KB=$IDLE_RSS_KB
	BIN=$engine_bin IDLE_RSS_KB=$rss IDLE_TICKS=$ticks
}

# echo_key prints the process key of the echo sample.
echo_key() {
	curl -sS --max-time 5 -H "Origin: $ORIGIN" "$API/RobotProcesses" |
		grep -o '"Key":"[^"]*","Name":"echo"' | cut -d'"' -f4
}

# run_job N invokes echo with a text naming N and polls (long polling) until
# the job ends; it prints "ok" or what went wrong.
run_job() {
	local n=$1 body id
	body=$(curl -sS --max-time 10 -H "Origin: $ORIGIN" -H 'Content-Type: application/json' \
		-d "{\"text\":\"job $n\"}" "$API/InvokeRobot?robotProcessId=$KEY") || {
		echo "invoke failed"
		return
	}
	id=$(grep -o '"JobId":"[^"]*"' <<<"$body" | cut -d'"' -f4)
	for _ in $(seq 10); do
		body=$(curl -sS --max-time 30 -H "Origin: $ORIGIN" "$API/JobStatus?jobId=$id") || {
			echo "status failed"
			return
		}
		case $body in
		*'"State":0'*) continue ;;
		*'"State":1'*"\"job $n\""*) echo ok ;;
		*) echo "ended badly: $body" ;;
		esac
		return
	done
	echo "still running after 10 polls"
}

# wait_fds polls until PID's fd count is back to $1 (connections close just
# after curl exits), for up to 5 s, and prints the count.
wait_fds() {
	local n
	for _ in $(seq 50); do
		n=$(fd_count "$PID")
		((n <= $1)) && break
		sleep 0.1
	done
	echo "$n"
}

# quit_with_dump stops PID with SIGQUIT, which makes the Go runtime dump
# every goroutine into its log. It must run in this shell, not in $(...):
# only the parent can wait for the engine.
quit_with_dump() { reap "$PID" QUIT; }

# goroutines LOG prints the goroutines of a dump: all, then the engine's
# own (those with a frame in robotbridge, net/http, os/exec or os/signal;
# the rest are the runtime's, whose number varies with GC activity).
goroutines() {
	awk 'BEGIN { RS = "" }
		/^goroutine [0-9]+ / {
			all++
			if (/robotbridge\/|net\/http|os\/exec|os\/signal/) own++
		}
		END { print all + 0, own + 0 }' "$1"
}

measure_jobs() {
	echo
	echo "== $JOBS concurrent echo jobs through the HTTP API =="
	KEY=$(echo_key)
	[[ -n $KEY ]] || { echo "bench: no echo sample listed" >&2; exit 1; }
	FDS_BEFORE=$(fd_count "$PID")
	THREADS_BEFORE=$(thread_count "$PID")

	local start end
	start=$(date +%s%N)
	for n in $(seq "$JOBS"); do
		run_job "$n" >"$WORK/job.$n" &
	done
	wait_jobs
	end=$(date +%s%N)
	JOBS_MS=$(((end - start) / 1000000))
	JOBS_OK=$(cat "$WORK"/job.* | grep -c '^ok$' || true)

	FDS_AFTER=$(wait_fds "$FDS_BEFORE")
	read -r CHILDREN ZOMBIES < <(children "$PID")
	echo "$JOBS_OK of $JOBS ok in $JOBS_MS ms; fds $FDS_BEFORE -> $FDS_AFTER;" \
		"threads $THREADS_BEFORE -> $(thread_count "$PID"); children $CHILDREN," \
		"zombies $ZOMBIES; VmRSS $(rss_kb "$PID") kB, peak $(hwm_kb "$PID") kB"
	grep -v '^ok$' "$WORK"/job.* | head -5 || true

	quit_with_dump
	read -r _ GOROUTINES_AFTER < <(goroutines "$WORK/idle.log")
	start_engine fresh
	sleep 1
	quit_with_dump
	read -r _ GOROUTINES_FRESH < <(goroutines "$WORK/fresh.log")
	echo "engine goroutines at exit: $GOROUTINES_AFTER after the jobs," \
		"$GOROUTINES_FRESH in a fresh idle engine (runtime ones not counted)"
}

# wait_jobs waits for the job runners only (the engine is a child too).
wait_jobs() {
	local pids
	pids=$(jobs -p)
	for p in $pids; do
		[[ " ${ENGINE_PIDS[*]} " == *" $p "* ]] || wait "$p"
	done
}

# ---- summary -------------------------------------------------------------------

# job_overhead NAME LABEL NOTE prints robot minus bare for a job benchmark:
# paired first, then the separate runs.
job_overhead() {
	local over r x s1 s0
	over=$(metric "BenchmarkJobPaired/$1" overhead-ns)
	r=$(metric "BenchmarkJobPaired/$1" robot-p50-ns)
	x=$(metric "BenchmarkJobPaired/$1" bare-p50-ns)
	s1=$(metric "BenchmarkJob$1/robot" p50-ns)
	s0=$(metric "BenchmarkJob$1/bare" p50-ns)
	printf '%-36s %s ms paired (robot %s, bare %s); %s ms separate%s\n' "$2" \
		"$(calc "$over / 1e6")" "$(calc "$r / 1e6")" "$(calc "$x / 1e6")" \
		"$(calc "($s1 - $s0) / 1e6")" "$3"
}

summary() {
	echo
	echo "== summary (this run; targets are reported, not enforced) =="
	echo "load average at the start: $LOAD_AT_START (2 cores; figures are noisy above ~2)"
	local ep sep pair b50 x50
	for ep in RobotProcesses JobStatus; do
		b50=$(metric "BenchmarkRequest/$ep/bridge" p50-ns)
		x50=$(metric "BenchmarkRequest/$ep/bare" p50-ns)
		sep=$(calc "$b50 / $x50")
		pair=$(calc "$(metric "BenchmarkRequestPaired/$ep" p50-ratio)")
		printf '%-36s %s (paired), %s (separate): bridge %s us, bare %s us' \
			"bridge p50 / bare p50, $ep" "$pair" "$sep" \
			"$(calc "$b50 / 1000")" "$(calc "$x50 / 1000")"
		echo '  [target <= 1.5]'
	done
	for ep in RobotProcesses JobStatus; do
		b50=$(metric "BenchmarkHandler/$ep/bridge" ns/op)
		x50=$(metric "BenchmarkHandler/$ep/bare" ns/op)
		printf '%-36s +%s us per request (no socket)\n' "bridge handler CPU, $ep" \
			"$(calc "($b50 - $x50) / 1000")"
	done
	job_overhead Start "job start overhead, p50" '  [target < 5 ms]'
	job_overhead RoundTrip "job round-trip overhead, p50" ''
	printf '%-36s p50 %s us, p99 %s us  [target p99 < 10 ms]\n' \
		"stream fan-out to 200 clients" "$(metric BenchmarkStreamFanout p50-µs)" \
		"$(metric BenchmarkStreamFanout p99-µs)"
	printf '%-36s %s ms CPU per second  [target ~0]\n' "1,000 idle stream clients" \
		"$(metric BenchmarkStreamIdle cpu-ms/s)"
	printf '%-36s %s us  [target < 10 ms]\n' "history: newest 50 of 100,000" \
		"$(calc "$(metric BenchmarkHistory_ListNewest50Of100k ns/op) / 1000")"
	relay_summary
	printf '%-36s %s MB  [target < 25 MB]\n' "engine idle RSS" "$(calc "$IDLE_RSS_KB / 1024")"
	[[ $FULL_RSS_KB == - ]] ||
		printf '%-36s %s MB (desktop app linked in, not started)\n' \
			"full binary 'serve' idle RSS" "$(calc "$FULL_RSS_KB / 1024")"
	printf '%-36s %s  [target ~0]\n' "engine idle CPU ticks in 5 s" "$IDLE_TICKS"
	printf '%-36s %s/%s ok in %s ms; fds %s -> %s; zombies %s; goroutines %s (fresh %s)\n' \
		"$JOBS concurrent jobs" "$JOBS_OK" "$JOBS" "$JOBS_MS" "$FDS_BEFORE" "$FDS_AFTER" \
		"$ZOMBIES" "$GOROUTINES_AFTER" "$GOROUTINES_FRESH"
}

# relay_summary prints the relay load benchmark's figures.
relay_summary() {
	local r=BenchmarkRelayLoad
	printf '%-36s %s calls/s to 200 subscribers; delivery p50 %s ms, p99 %s ms, max %s ms\n' \
		"relay at 1,000 webhook calls/s" "$(metric $r calls/s)" "$(metric $r p50-delivery-ms)" \
		"$(metric $r p99-delivery-ms)" "$(metric $r max-delivery-ms)"
	printf '%-36s answer p99 %s ms; RSS %s MB (peak %s MB); %s cores; load %s\n' \
		"" "$(metric $r p99-answer-ms)" "$(metric $r relay-rss-MB)" \
		"$(metric $r relay-peak-MB)" "$(metric $r relay-cpu-cores)" "$(metric $r loadavg-1m)"
}

LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
run_go_benchmarks
measure_idle
measure_jobs
measure_idle_full
summary

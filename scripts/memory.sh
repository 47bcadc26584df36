#!/usr/bin/env bash
# Peak memory of a default `lambdaudit scan` against a simulated account served
# by another process: the figure README "Memory" quotes (issue 10, point 6).
#
#   scripts/memory.sh [FUNCTIONS]          # default 50000; `make memory`
#   LAMBDAUDIT=/path/to/binary scripts/memory.sh 50000
#
# It builds ./cmd/lambdaudit unless LAMBDAUDIT names a binary, starts
# `lambdaudit sim --functions N --regions us-east-1` on a free loopback port,
# waits until it answers, runs `lambdaudit scan --regions us-east-1 -o FILE`
# under /usr/bin/time -v (GNU time, Debian package `time`: apt-get install time)
# with the sim's printed credentials, and prints one summary line. Without
# /usr/bin/time it polls VmHWM in /proc/PID/status instead and says so.
# The sim runs under /usr/bin/time too, so its CPU time is printed beside the
# scan's: which side the wall time goes to.
#
# Slow (about 10 minutes at 50,000 functions on 2 cores): not part of `make test`.
# Env: KEEP=DIR keeps the scan result, the logs and both time reports in DIR;
# MEMORY_TIMER= (empty) uses the /proc fallback even where GNU time exists.
set -euo pipefail
# Paths given relative to the caller's directory, before moving to the repo.
[ -n "${LAMBDAUDIT:-}" ] && LAMBDAUDIT=$(realpath -m -- "$LAMBDAUDIT")
[ -n "${KEEP:-}" ] && KEEP=$(realpath -m -- "$KEEP")
cd "$(dirname "$0")/.."

n=${1:-50000}
case $n in '' | *[!0-9]*) echo "memory.sh: FUNCTIONS must be a whole number, got '$n'" >&2; exit 2 ;; esac
# A default scan and sim: no LAMBDAUDIT_* settings from the caller's environment.
while read -r v; do unset "$v"; done < <(compgen -e | grep '^LAMBDAUDIT_' || true)

work=${KEEP:-$(mktemp -d)}
mkdir -p "$work"
sim_pid=
cleanup() {
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
	[ -z "${KEEP:-}" ] && rm -rf "$work"
	return 0
}
trap cleanup EXIT

bin=${LAMBDAUDIT:-}
if [ -z "$bin" ]; then
	bin=$work/lambdaudit
	GOFLAGS=${GOFLAGS:--buildvcs=false} go build -o "$bin" ./cmd/lambdaudit
fi

# MEMORY_TIMER= (empty) forces the /proc fallback, to check it.
timer=${MEMORY_TIMER-/usr/bin/time}
if [ -z "$timer" ] || [ ! -x "$timer" ]; then
	timer=
	echo "memory.sh: not using GNU time (/usr/bin/time absent or MEMORY_TIMER empty; Debian/Ubuntu: apt-get install time): peak RSS from VmHWM in /proc/PID/status, polled, which can miss the scan's last 0.2 s" >&2
fi

# The sim: port 0 picks a free port; it prints the URL it serves once the fleet is built.
if [ -n "$timer" ]; then
	"$timer" -v -o "$work/sim.time" "$bin" sim --functions "$n" --regions us-east-1 --addr 127.0.0.1:0 \
		>"$work/sim.out" 2>"$work/sim.err" &
	timer_pid=$!
	# The sim is time's child: signal it, not time, so time reports its usage.
	for _ in $(seq 50); do
		sim_pid=$(pgrep -P "$timer_pid" || true)
		[ -n "$sim_pid" ] && break
		sleep 0.1
	done
else
	"$bin" sim --functions "$n" --regions us-east-1 --addr 127.0.0.1:0 >"$work/sim.out" 2>"$work/sim.err" &
	sim_pid=$!
	timer_pid=$sim_pid
fi

url=
for _ in $(seq 600); do
	url=$(sed -n 's/^lambdaudit sim: .* serving \(http:[^ ]*\)$/\1/p' "$work/sim.out")
	if [ -n "$url" ] && curl -fsS -o /dev/null "$url/_sim/accounting"; then break; fi
	url=
	if ! kill -0 "$timer_pid" 2>/dev/null; then
		echo "memory.sh: the sim exited:" >&2
		cat "$work/sim.err" >&2
		exit 1
	fi
	sleep 0.5
done
[ -n "$url" ] || { echo "memory.sh: the sim did not answer within 5 minutes" >&2; exit 1; }

export AWS_ENDPOINT_URL=$url AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
AWS_ACCESS_KEY_ID=$(sed -n 's/^export AWS_ACCESS_KEY_ID=//p' "$work/sim.out")
AWS_SECRET_ACCESS_KEY=$(sed -n 's/^export AWS_SECRET_ACCESS_KEY=//p' "$work/sim.out")
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
unset AWS_PROFILE AWS_SESSION_TOKEN
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

out=$work/scan.json
start=$(date +%s.%N)
rc=0
if [ -n "$timer" ]; then
	"$timer" -v -o "$work/scan.time" "$bin" scan --regions us-east-1 -o "$out" 2>"$work/scan.err" || rc=$?
	peak_kb=$(sed -n 's/^\tMaximum resident set size (kbytes): //p' "$work/scan.time")
	how="/usr/bin/time -v"
else
	"$bin" scan --regions us-east-1 -o "$out" 2>"$work/scan.err" &
	scan_pid=$!
	peak_kb=0
	while kill -0 "$scan_pid" 2>/dev/null; do
		v=$(awk '/^VmHWM:/ {print $2}' "/proc/$scan_pid/status" 2>/dev/null || true)
		[ -n "$v" ] && peak_kb=$v
		sleep 0.2
	done
	wait "$scan_pid" || rc=$?
	how="VmHWM polled every 0.2 s"
fi
wall=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {print e - s}')

kill -INT "$sim_pid" 2>/dev/null || true
wait "$timer_pid" 2>/dev/null || true
sim_pid=

cpu() { # user+system seconds from a time -v report
	awk -F': ' '/User time|System time/ {s += $2} END {printf "%.1f", s}' "$1"
}
size=$(stat -c %s "$out" 2>/dev/null || echo 0)
extra=
if [ -n "$timer" ]; then
	extra=" scan_cpu_s=$(cpu "$work/scan.time") sim_cpu_s=$(cpu "$work/sim.time") sim_peak_rss_mb=$(($(sed -n 's/^\tMaximum resident set size (kbytes): //p' "$work/sim.time") / 1024))"
fi
printf 'functions=%d wall_s=%.0f peak_rss_mb=%d output_bytes=%d exit=%d%s (peak RSS: %s)\n' \
	"$n" "$wall" "$((peak_kb / 1024))" "$size" "$rc" "$extra" "$how"
if [ "$rc" -ne 0 ]; then
	echo "memory.sh: scan exited $rc; its stderr:" >&2
	tail -20 "$work/scan.err" >&2
fi
exit "$rc"

#!/usr/bin/env bash
# Compares NBD servers on one file, one machine, one run: Reloc (through ./reloc serve), nbdkit's
# file plugin and qemu-nbd. Each server in turn serves the same image; fio's nbd engine and nbdcopy
# measure it. The whole server sequence is repeated (--rounds) so that run-to-run spread shows.
#
# Usage: bench/nbd-bench.sh [options]
#   --file PATH       image to serve (created with random data if missing; default: $BENCH_DIR/bench.img)
#   --size SIZE       size of a created image (default 1G)
#   --runtime SEC     measured seconds per fio job (default 20)
#   --ramp SEC        unmeasured warm-up seconds before each fio job (default 5)
#   --rounds N        how many times to run the whole server sequence (default 2)
#   --servers LIST    space-separated subset of "reloc nbdkit qemu-nbd" (default: all three)
#   --out FILE        where to write the markdown report (default: $BENCH_DIR/report.md)
#
# Environment: BENCH_DIR (default /tmp/reloc-bench) holds the image, logs and raw results.
# RELOC_SERVE overrides how Reloc is started; it is a command line in which {PORT}, {NAME} and
# {FILE} are replaced, by default "./reloc serve --listen 127.0.0.1:{PORT} --export {NAME}={FILE}".
#
# Page cache: the machine has far more RAM than the image, so every measurement runs with the
# image entirely in the page cache. The script reads the whole file before each server starts,
# whatever ran before, so each server begins from the same, fully cached state.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_dir=${BENCH_DIR:-/tmp/reloc-bench}
file=""
size=1G
runtime=20
ramp=5
rounds=2
servers="reloc nbdkit qemu-nbd"
out=""
export_name=bench
reloc_serve=${RELOC_SERVE:-"./reloc serve --listen 127.0.0.1:{PORT} --export {NAME}={FILE}"}

die() { echo "nbd-bench: $*" >&2; exit 1; }
# Exit status 77: something this needs is not installed (the documentation's test then skips it).
missing() { echo "nbd-bench: $*" >&2; exit 77; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --file) file=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --runtime) runtime=$2; shift 2 ;;
    --ramp) ramp=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --servers) servers=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) die "unknown option $1 (try --help)" ;;
  esac
done

for tool in fio nbdcopy nbdinfo jq python3; do
  command -v "$tool" >/dev/null || missing "$tool is not installed (Debian: fio, libnbd-bin, jq, python3)"
done
for s in $servers; do
  case "$s" in
    reloc) [[ -x "$repo/reloc" ]] || die "$repo/reloc is missing: build the cli module first, or leave reloc out with --servers" ;;
    nbdkit) command -v nbdkit >/dev/null || missing "nbdkit is not installed" ;;
    qemu-nbd) command -v qemu-nbd >/dev/null || missing "qemu-nbd is not installed (Debian: qemu-utils)" ;;
    *) die "unknown server $s; choose among: reloc nbdkit qemu-nbd" ;;
  esac
done

mkdir -p "$bench_dir"
if [[ " $servers " == *" reloc "* ]]; then
  # The launcher builds Reloc when its sources changed: do that now, not while a server starts.
  "$repo/reloc" --version >/dev/null || die "./reloc --version failed; build Reloc first"
fi
file=${file:-$bench_dir/bench.img}
out=${out:-$bench_dir/report.md}
results=$bench_dir/results.tsv
: > "$results"

if [[ ! -f "$file" ]]; then
  echo "creating $file ($size of random data, fully allocated)" >&2
  fio --name=create --filename="$file" --rw=write --bs=1M --size="$size" --refill_buffers \
      --end_fsync=1 --output=/dev/null
fi
file=$(realpath "$file")

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

server_pid=""
stop_server() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
trap stop_server EXIT

# start_server NAME PORT: starts it in the background, returns once a client can connect.
start_server() {
  local name=$1 port=$2 log=$bench_dir/$1.log
  case "$name" in
    reloc)
      local cmd=${reloc_serve//\{PORT\}/$port}
      cmd=${cmd//\{NAME\}/$export_name}
      cmd=${cmd//\{FILE\}/$file}
      (cd "$repo" && exec $cmd) >>"$log" 2>&1 &
      ;;
    nbdkit)
      nbdkit -f -i 127.0.0.1 -p "$port" file "$file" >>"$log" 2>&1 &
      ;;
    qemu-nbd)
      qemu-nbd -f raw -b 127.0.0.1 -p "$port" -x "$export_name" -t "$file" >>"$log" 2>&1 &
      ;;
  esac
  server_pid=$!
  local uri=nbd://127.0.0.1:$port/$export_name
  for _ in $(seq 1 300); do
    if nbdinfo --size "$uri" >/dev/null 2>&1; then return 0; fi
    kill -0 "$server_pid" 2>/dev/null || die "$name exited during start-up; see $log"
    sleep 0.1
  done
  die "$name did not accept connections within 30 s; see $log"
}

# fio_job SERVER ROUND URI LABEL RW BS DEPTH: one time-based job, appended to the results.
fio_job() {
  local server=$1 round=$2 uri=$3 label=$4 rw=$5 bs=$6 depth=$7
  local json=$bench_dir/fio-$server-$round-$label.json
  fio --name="$label" --ioengine=nbd --uri="$uri" --rw="$rw" --bs="$bs" --iodepth="$depth" \
      --size="$(stat -c %s "$file")" --time_based --runtime="$runtime" --ramp_time="$ramp" \
      --randrepeat=1 --norandommap --output-format=json --output="$json" >/dev/null
  local dir=read
  [[ "$rw" == *write* ]] && dir=write
  local err iops bw
  err=$(jq ".jobs[0].error" "$json")
  [[ "$err" == 0 ]] || die "fio $label against $server failed (error $err); see $json"
  iops=$(jq ".jobs[0].$dir.iops" "$json")
  bw=$(jq ".jobs[0].$dir.bw_bytes / 1048576" "$json")
  printf '%s\t%s\t%s\t%.0f\t%.1f\n' "$server" "$round" "$label" "$iops" "$bw" >> "$results"
  printf '  %-10s %-22s %10.0f IOPS %9.1f MiB/s\n' "$server" "$label" "$iops" "$bw" >&2
}

# nbdcopy_job SERVER ROUND URI: best of three copies of the whole image to null:.
nbdcopy_job() {
  local server=$1 round=$2 uri=$3 best="" t0 t1 secs
  for _ in 1 2 3; do
    t0=$(date +%s.%N)
    nbdcopy "$uri" null:
    t1=$(date +%s.%N)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    if [[ -z "$best" ]] || awk -v s="$secs" -v b="$best" 'BEGIN { exit !(s < b) }'; then best=$secs; fi
  done
  local mib=$(( $(stat -c %s "$file") / 1048576 ))
  local bw
  bw=$(awk -v m="$mib" -v b="$best" 'BEGIN { printf "%.1f", m / b }')
  printf '%s\t%s\t%s\t%.3f\t%.1f\n' "$server" "$round" "nbdcopy-to-null" "$best" "$bw" >> "$results"
  printf '  %-10s %-22s %10.3f s    %9.1f MiB/s\n' "$server" "nbdcopy-to-null" "$best" "$bw" >&2
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" > "$bench_dir/load.txt"
for round in $(seq 1 "$rounds"); do
  for server in $servers; do
    echo "round $round: $server" >&2
    cat "$file" > /dev/null            # same page-cache state for every server: all cached
    port=$(free_port)
    start_server "$server" "$port"
    uri=nbd://127.0.0.1:$port/$export_name
    nbdinfo --json "$uri" | jq -r --arg s "$server" '.exports[0] | "\($s)\tmulti-conn=\(.can_multi_conn)\tblock-sizes=\(.block_size_minimum // "-")/\(.block_size_preferred // "-")/\(.block_size_maximum // "-")"' \
      > "$bench_dir/info-$server.txt"
    fio_job "$server" "$round" "$uri" randread-4k-qd32 randread 4k 32
    fio_job "$server" "$round" "$uri" randwrite-4k-qd32 randwrite 4k 32
    fio_job "$server" "$round" "$uri" read-1M-qd8 read 1M 8
    nbdcopy_job "$server" "$round" "$uri"
    stop_server
  done
done

echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$bench_dir/load.txt"

# Report: per line and server, the mean over rounds and the spread (min-max); ratio of means.
python3 - "$results" "$servers" "$runtime" "$ramp" "$rounds" "$bench_dir" > "$out" <<'EOF'
import sys, collections, statistics, pathlib
results, servers, runtime, ramp, rounds, bench_dir = sys.argv[1], sys.argv[2].split(), *sys.argv[3:]
rows = collections.defaultdict(lambda: collections.defaultdict(list))
for line in open(results):
    server, rnd, label, metric, bw = line.rstrip("\n").split("\t")
    rows[label][server].append((float(metric), float(bw)))
labels = ["randread-4k-qd32", "randwrite-4k-qd32", "read-1M-qd8", "nbdcopy-to-null"]
unit = {"randread-4k-qd32": "IOPS", "randwrite-4k-qd32": "IOPS", "read-1M-qd8": "MiB/s", "nbdcopy-to-null": "s (best of 3)"}
def value(label, pair):
    return pair[1] if label == "read-1M-qd8" else pair[0]
def cell(label, server):
    vals = [value(label, p) for p in rows[label].get(server, [])]
    if not vals:
        return "pending" if server == "reloc" else "-", None
    mean = statistics.mean(vals)
    fmt = "{:.2f}" if label == "nbdcopy-to-null" else "{:.0f}"
    spread = " ({}–{})".format(fmt.format(min(vals)), fmt.format(max(vals))) if len(vals) > 1 else ""
    return fmt.format(mean) + spread, mean
cols = ["reloc", "nbdkit", "qemu-nbd"]
print(f"fio {runtime} s per job after {ramp} s warm-up; {rounds} round(s); mean (min–max over rounds).\n")
print("| test | unit | " + " | ".join(cols) + " | reloc/nbdkit |")
print("|---|---|" + "---|" * len(cols) + "---|")
for label in labels:
    cells, means = [], {}
    for s in cols:
        text, mean = cell(label, s)
        cells.append(text); means[s] = mean
    if means["reloc"] is not None and means["nbdkit"]:
        # For the copy time, lower is better: report the speed ratio so > 1 always means faster.
        ratio = means["nbdkit"] / means["reloc"] if label == "nbdcopy-to-null" else means["reloc"] / means["nbdkit"]
        ratio = f"{ratio:.2f}"
    else:
        ratio = "pending"
    print(f"| {label} | {unit[label]} | " + " | ".join(cells) + f" | {ratio} |")
print()
print("- " + " / ".join(pathlib.Path(bench_dir, "load.txt").read_text().split("\n")).strip(" /") + " (1, 5, 15 min load averages)")
for s in servers:
    p = pathlib.Path(bench_dir) / f"info-{s}.txt"
    if p.exists():
        print("- " + p.read_text().strip().replace("\t", " "))
EOF
cat "$out"

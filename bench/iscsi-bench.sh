#!/usr/bin/env bash
# Compares iSCSI targets on one file, one machine: Reloc (./reloc serve --iscsi) and tgt (tgtd with
# its rdwr backing store). Each target in turn serves the same image; libiscsi's iscsi-perf and
# qemu-img (its libiscsi driver) measure it. The whole target sequence is repeated (--rounds) so
# that run-to-run spread shows.
#
# Usage: bench/iscsi-bench.sh [options]            (tgtd needs root)
#   --file PATH       image to serve (created with random data if missing; default: $BENCH_DIR/bench.img)
#   --size SIZE       size of a created image (default 1G)
#   --seconds SEC     measured seconds of each iscsi-perf load (default 15)
#   --count N         requests per qemu-img bench run (default 300000)
#   --rounds N        how many times to run the whole target sequence (default 1)
#   --servers LIST    space-separated subset of "reloc tgt" (default: both)
#   --out FILE        where to append the markdown report (default: $BENCH_DIR/report.md)
# Environment: BENCH_DIR (default /tmp/iscsi-bench) holds the image, logs and raw results;
# CONVERT_TIMEOUT (default 90) bounds each qemu-img convert, reported as "fail" when exceeded.
#
# Measures, per target:
#   seq read   iscsi-perf -b 256 (128 KiB requests, 32 in flight) for --seconds (it wraps at the
#              end of the LUN); MiB/s from its last average IOPS
#   rand read  iscsi-perf -r -b 8 (4 KiB random reads, 32 in flight) for --seconds; its last average
#   convert in qemu-img convert -n FILE -> target (sequential writes), wall time
#   convert out qemu-img convert target -> $BENCH_DIR/out.img (sequential reads), wall time
#   rand 4k r/w qemu-img bench -d 32 -s 4096 with a large prime step (offsets wrap modulo the size,
#              so consecutive requests land far apart); fio has no libiscsi engine on Debian and
#              iscsi-perf cannot write
# Page cache: the image is read whole before each target starts, so both begin fully cached.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_dir=${BENCH_DIR:-/tmp/iscsi-bench}
file=""
size=1G
seconds=15
count=300000
rounds=1
servers="reloc tgt"
out=""
# 4096 * 104729 (a prime): a step that scatters 4 KiB requests over the whole image.
step=$((4096 * 104729))
convert_timeout=${CONVERT_TIMEOUT:-90}

die() { echo "iscsi-bench: $*" >&2; exit 1; }
# Exit status 77: something this needs is not installed (the documentation's test then skips it).
missing() { echo "iscsi-bench: $*" >&2; exit 77; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --file) file=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --servers) servers=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) die "unknown option $1 (try --help)" ;;
  esac
done

for tool in iscsi-perf iscsi-inq qemu-img python3; do
  command -v "$tool" >/dev/null || missing "$tool is not installed (Debian: libiscsi-bin, qemu-utils, python3)"
done
for s in $servers; do
  case "$s" in
    reloc) [[ -x "$repo/reloc" ]] || die "$repo/reloc is missing" ;;
    tgt)
      command -v tgtd >/dev/null && command -v tgtadm >/dev/null || missing "tgt is not installed (Debian: tgt)"
      [[ $(id -u) -eq 0 ]] || missing "tgtd needs root: run as root or leave tgt out with --servers reloc"
      ;;
    *) die "unknown server $s; choose among: reloc tgt" ;;
  esac
done

mkdir -p "$bench_dir"
file=${file:-$bench_dir/bench.img}
out=${out:-$bench_dir/report.md}
log_dir=$bench_dir/logs
mkdir -p "$log_dir"
results=$bench_dir/results.tsv
: > "$results"

if [[ ! -f "$file" ]]; then
  echo "creating $file ($size of random data)" >&2
  head -c "$size" /dev/urandom > "$file"
fi
file_bytes=$(stat -c %s "$file")

server_pid=""
tgt_port=""
cleanup() {
  if [[ -n "$tgt_port" ]]; then
    tgtadm -C "$tgt_port" --mode system --op delete >/dev/null 2>&1 || true
  fi
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
  tgt_port=""
  rm -f "$bench_dir/out.img"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# A free TCP port at most 32767 (tgtd's control port becomes an abstract socket name limited so).
free_low_port() {
  python3 - <<'EOF'
import random, socket
for _ in range(200):
    p = random.randint(20000, 32767)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        s.close()
EOF
}

wait_for_lun() {
  local url=$1
  for _ in $(seq 300); do
    iscsi-inq "$url" >/dev/null 2>&1 && return 0
    if [[ -n "$server_pid" ]] && ! kill -0 "$server_pid" 2>/dev/null; then
      return 1
    fi
    sleep 0.2
  done
  return 1
}

start_reloc() {
  local port
  port=$(free_port)
  (cd "$repo" && exec ./reloc serve --listen 127.0.0.1:0 --iscsi "127.0.0.1:$port" --export "bench=$file") \
    > "$log_dir/reloc.log" 2>&1 &
  server_pid=$!
  url="iscsi://127.0.0.1:$port/iqn.2026-11.io.reloc:bench/0"
}

start_tgt() {
  local port
  port=$(free_port)
  tgt_port=$(free_low_port)
  tgtd -f --iscsi "portal=127.0.0.1:$port" --control-port "$tgt_port" > "$log_dir/tgt.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 50); do
    tgtadm -C "$tgt_port" --mode system --op show >/dev/null 2>&1 && break
    sleep 0.1
  done
  tgtadm -C "$tgt_port" --lld iscsi --mode target --op new --tid 1 --targetname iqn.2026-11.org.tgt:bench
  tgtadm -C "$tgt_port" --lld iscsi --mode logicalunit --op new --tid 1 --lun 1 --backing-store "$file"
  tgtadm -C "$tgt_port" --lld iscsi --mode target --op bind --tid 1 --initiator-address ALL
  url="iscsi://127.0.0.1:$port/iqn.2026-11.org.tgt:bench/1"
}

# record SERVER METRIC COMMAND...: runs the measuring command (stopping the script if it fails) and
# appends its printed value to the raw results.
record() {
  local server=$1 metric=$2 value
  shift 2
  value=$("$@")
  printf '%s\t%s\t%s\t%s\n' "$round" "$server" "$metric" "$value" >> "$results"
}

now() { date +%s.%N; }

# Sequential 128 KiB reads for $seconds (iscsi-perf wraps at the end of the LUN and runs until
# interrupted); prints MiB/s from the last average it reported (its "MB" are MiB: blocks * 512 >> 20).
seq_read() {
  local url=$1 iops
  timeout -s INT "$seconds" iscsi-perf -b 256 "$url" > "$log_dir/seq-read.out" 2>&1 || true
  iops=$(tr '\r' '\n' < "$log_dir/seq-read.out" | sed -n 's/.*iops average \([0-9]*\) .*/\1/p' | tail -n 1)
  [[ -n "$iops" ]] || die "iscsi-perf printed no average on $url: $(tr '\r' '\n' < "$log_dir/seq-read.out" | tail -n 3)"
  echo $((iops * 128 / 1024))
}

# Random 4 KiB reads for $seconds; prints the last average IOPS iscsi-perf reported.
rand_read() {
  local url=$1 iops
  timeout -s INT "$seconds" iscsi-perf -r -b 8 "$url" > "$log_dir/rand-read.out" 2>&1 || true
  iops=$(tr '\r' '\n' < "$log_dir/rand-read.out" | sed -n 's/.*iops average \([0-9]*\) .*/\1/p' | tail -n 1)
  [[ -n "$iops" ]] || die "iscsi-perf -r printed no average on $url: $(tr '\r' '\n' < "$log_dir/rand-read.out" | tail -n 3)"
  echo "$iops"
}

# Wall seconds of a command; prints MiB/s for $file_bytes moved, or "fail" if it failed or did
# not finish within $convert_timeout seconds (so one hung target does not stall the whole run).
timed_mib() {
  local start end
  start=$(now)
  if ! timeout "$convert_timeout" "$@" > "$log_dir/timed.out" 2>&1; then
    echo "iscsi-bench: $* failed or timed out after ${convert_timeout}s: $(tail -n 3 "$log_dir/timed.out")" >&2
    echo fail
    return 0
  fi
  end=$(now)
  python3 -c "print(f'{$file_bytes / 1048576 / ($end - $start):.0f}')"
}

# qemu-img bench at queue depth 32, 4 KiB requests; prints IOPS.
qbench() {
  local url=$1 secs
  shift
  qemu-img bench -f raw -t none -c "$count" -d 32 -s 4096 -S "$step" "$@" "$url" > "$log_dir/qbench.out" 2>&1 \
    || die "qemu-img bench failed on $url: $(tail -n 3 "$log_dir/qbench.out")"
  secs=$(sed -n 's/^Run completed in \([0-9.]*\) seconds.*/\1/p' "$log_dir/qbench.out")
  [[ -n "$secs" ]] || die "qemu-img bench printed no run time: $(tail -n 3 "$log_dir/qbench.out")"
  python3 -c "print(f'{$count / $secs:.0f}')"
}

echo "load before: $(uptime)" >&2
uptime_before=$(uptime)
for round in $(seq "$rounds"); do
  for s in $servers; do
    cat "$file" > /dev/null   # warm the page cache: every target starts from a fully cached image
    url=""
    case "$s" in
      reloc) start_reloc ;;
      tgt) start_tgt ;;
    esac
    wait_for_lun "$url" || die "$s did not come up on $url; see $log_dir/$s.log"
    echo "round $round: $s on $url" >&2
    record "$s" "seq read 128k (MiB/s, iscsi-perf)" seq_read "$url"
    record "$s" "rand read 4k QD32 (IOPS, iscsi-perf -r)" rand_read "$url"
    record "$s" "convert into target (MiB/s, qemu-img)" \
      timed_mib qemu-img convert -n -f raw -O raw "$file" "$url"
    record "$s" "convert out of target (MiB/s, qemu-img)" \
      timed_mib qemu-img convert -f raw -O raw "$url" "$bench_dir/out.img"
    rm -f "$bench_dir/out.img"
    record "$s" "rand read 4k QD32 (IOPS, qemu-img bench)" qbench "$url"
    record "$s" "rand write 4k QD32 (IOPS, qemu-img bench)" qbench "$url" -w --pattern=165
    cleanup
  done
done
uptime_after=$(uptime)

# One table per round: Reloc, tgt and Reloc/tgt (higher is better for every line).
{
  echo
  echo "### $(date -u '+%Y-%m-%d %H:%M UTC') — $(nproc) CPUs, image $((file_bytes / 1048576)) MiB"
  echo
  echo "load before: \`${uptime_before# }\`  "
  echo "load after: \`${uptime_after# }\`"
  python3 - "$results" <<'EOF'
import sys, collections
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    rnd, server, metric, value = line.rstrip("\n").split("\t")
    rows.setdefault(rnd, collections.OrderedDict()).setdefault(metric, {})[server] = (
        None if value == "fail" else float(value))
for rnd, metrics in rows.items():
    print(f"\nRound {rnd}\n")
    print("| measure | Reloc | tgt | Reloc/tgt |")
    print("|---|---:|---:|---:|")
    for metric, v in metrics.items():
        r, t = v.get("reloc"), v.get("tgt")
        ratio = f"{r / t:.2f}" if r and t else "—"
        fmt = lambda x: "fail" if x is None else f"{x:.0f}"
        print(f"| {metric} | {fmt(r)} | {fmt(t)} | {ratio} |")
EOF
} | tee -a "$out"

#!/usr/bin/env bash
# Relocation benchmarks on loopback, no network emulation. Prints a markdown table.
#
#   bench/relocation-bench.sh                    # 1 GiB random image, 15 s fio runs, best of 2
#   SIZE=256M RUNTIME=5 REPS=1 bench/relocation-bench.sh
#   BENCH_DIR=/scratch bench/relocation-bench.sh   # where the images go (default bench/target)
#
# (a) time for 'reloc proxy', started in standby and activated, to reach state complete,
#     relocating from 'reloc serve' and from nbdkit, against 'nbdcopy --flush' of the same
#     source to a file (goal <= 1.1x);
# (b) a fully present disk served by 'reloc proxy' (state complete) against 'reloc serve' of
#     the same file: fio (nbd engine) randread 4k iodepth 32 and read 1M iodepth 8 (goal >= 0.95x);
# (c) latency of demand reads of absent 4 KiB blocks (one per 64 KiB relocation block, so each
#     read is a fetch) with the background copier running at BUSY_RATE vs paused.
#
# (a) is reported from activation (the goal's measure: in a migration the proxy starts before
# switch-over) and from launch (the JVM's start included, as nbdcopy's includes its process start).
# Each figure is the best of REPS runs, since other work on a shared machine only ever slows a run.
# Needs nbdkit, nbdcopy, fio with the nbd engine, curl, jq and python3 (to pick free ports).
set -euo pipefail
shopt -s inherit_errexit   # a failure inside $(...) stops the benchmark too

ROOT=$(cd -- "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/.." && pwd)
RELOC=$ROOT/reloc
SIZE=${SIZE:-1G}
RUNTIME=${RUNTIME:-15}
REPS=${REPS:-2}
# Scratch space (about 4 times SIZE) inside the repository: other people's clean-ups of /tmp
# have removed it under a running benchmark on shared machines.
mkdir -p "${BENCH_DIR:=$ROOT/bench/target}"
WORK=$(mktemp -d "$BENCH_DIR/relocation-bench.XXXXXX")
PIDS=()

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf -- "$WORK"
}
trap cleanup EXIT
trap 'echo "relocation-bench: stopped by a signal" >&2; exit 1' TERM INT HUP
trap 'echo "relocation-bench: line $LINENO failed: $BASH_COMMAND" >&2' ERR

die() {
    echo "relocation-bench: $*" >&2
    exit 1
}

# Exit status 77: something this needs is not installed (the documentation's test then skips it).
for tool in nbdkit nbdcopy fio curl jq python3 numfmt; do
    command -v "$tool" >/dev/null || { echo "relocation-bench: needs $tool on PATH" >&2; exit 77; }
done
[[ -x $RELOC ]] || die "launcher not found at $RELOC"
fio --enghelp=nbd >/dev/null 2>&1 || { echo "relocation-bench: this fio lacks the nbd engine (install fio built with libnbd)" >&2; exit 77; }
BYTES=$(numfmt --from=iec "${SIZE%B}")
(( BYTES >= 4 << 20 && BYTES % (4 << 20) == 0 )) || die "SIZE must be a multiple of 4M"
# (c) reads two regions at the end of the disk: 64 MiB each, a quarter of smaller disks.
REGION=$(( BYTES / 4 < 64 << 20 ? BYTES / 4 : 64 << 20 ))
# The busy copier must not reach them while fio reads (a few seconds): 200 MiB/s, less on disks
# under a gigabyte (at 200 MiB/s it passed a 64 MiB disk's regions before fio began), and at
# least 1M/s (0 would mean no limit at all).
BUSY_MIB=$(( (BYTES - 2 * REGION) / 4 >> 20 ))
BUSY_RATE=${BUSY_RATE:-$(( BUSY_MIB < 1 ? 1 : BUSY_MIB > 200 ? 200 : BUSY_MIB ))M}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

now() {
    date +%s.%N
}

# start NAME COMMAND...: runs COMMAND in the background with its output in $WORK/NAME.log;
# sets LAST_PID. The launcher execs the JVM, so the pid is the server's own.
start() {
    local name=$1
    shift
    "$@" >"$WORK/$name.log" 2>&1 &
    LAST_PID=$!
    PIDS+=("$LAST_PID")
}

stop() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# await_uri NAME: the nbd:// URI the reloc process NAME prints once it serves.
await_uri() {
    local i uri
    for ((i = 0; i < 1200; i++)); do
        [[ -d $WORK ]] || exit 1
        uri=$(sed -n 's/^serving \(nbd:\/\/[^ ]*\).*/\1/p' "$WORK/$1.log" | head -n 1)
        if [[ -n $uri ]]; then
            echo "$uri"
            return 0
        fi
        sleep 0.1
    done
    cat "$WORK/$1.log" >&2
    die "$1 did not start serving"
}

await_port() {
    local i
    for ((i = 0; i < 300; i++)); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    die "nothing listens on port $1"
}

status() {
    curl -sf "http://$1/status"
}

# await_complete CONTROL: one status request that the proxy answers once the state is complete.
# (Polling with curl and jq every 50 ms made a 2 s relocation about 0.5 s slower on 2 cores.)
await_complete() {
    local status
    status=$(curl -sf "http://$1/status?wait=complete&timeout=3600") || die "no status from the proxy at $1"
    [[ $(jq -r .state <<<"$status") == complete ]] || die "the relocation did not complete: $status"
}

# fio_run URI OUTPUT ARGS...: one fio job against URI, JSON written to OUTPUT.
fio_run() {
    local uri=$1 out=$2
    shift 2
    fio --name=bench --ioengine=nbd --uri="$uri" --output-format=json --output="$out" "$@" >/dev/null
}

min() { printf '%s\n' "$@" | sort -g | head -n 1; }
max() { printf '%s\n' "$@" | sort -g | tail -n 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
fmt() { awk -v a="$1" 'BEGIN { printf "%.2f", a }'; }

LOAD_BEFORE=$(uptime)
echo "preparing a $SIZE random image in $WORK ..." >&2
head -c "$BYTES" /dev/urandom >"$WORK/source.img"
sync -- "$WORK/source.img"

start serve "$RELOC" serve --listen 127.0.0.1:0 --export "vm1=$WORK/source.img,readonly"
SERVE_PID=$LAST_PID
SERVE_URI=$(await_uri serve)
KIT_PORT=$(free_port)
start nbdkit nbdkit -f -r -i 127.0.0.1 -p "$KIT_PORT" file "$WORK/source.img"
await_port "$KIT_PORT"
KIT_URI="nbd://127.0.0.1:$KIT_PORT/"

# ---- (a) relocation time ---------------------------------------------------------------------
# relocate NAME SOURCE_URI [KEEP]: starts a proxy in standby, as a live migration does before its
# switch-over, activates it as soon as it serves (POST /activate, what an orchestrator sends once
# the VM runs at the destination), and prints the seconds from launching the proxy to state
# complete, then (after a slash) from activation to complete: the relocation itself, without the
# JVM's start, which a migration does before switch-over. With KEEP the proxy keeps running
# (PROXY_PID, PROXY_URI, PROXY_CONTROL).
relocate() {
    local name=$1 source=$2 keep=${3:-} control t0 ta t1
    rm -f -- "$WORK/$name.img" "$WORK/$name.img.map"
    control=127.0.0.1:$(free_port)
    t0=$(now)
    start "$name" "$RELOC" -q proxy --listen 127.0.0.1:0 --export vm1 --source "$source" \
        --cache "$WORK/$name.img" --control "$control"
    local pid=$LAST_PID
    await_uri "$name" >/dev/null
    ta=$(now)
    curl -sf -X POST "http://$control/activate" >/dev/null || die "the proxy at $control refused to activate"
    await_complete "$control"
    t1=$(now)
    if [[ -n $keep ]]; then
        PROXY_PID=$pid PROXY_URI=$(await_uri "$name") PROXY_CONTROL=$control
    else
        stop "$pid"
    fi
    awk -v a="$t0" -v s="$ta" -v b="$t1" 'BEGIN { printf "%.3f/%.3f", b - a, b - s }'
}

# nbdcopy_time URI: seconds for nbdcopy to copy URI to a file. The copy is checked and removed
# at once, before anything else writes, as each relocation's copy is: in a VM, writing a gigabyte
# into memory the guest has not used lately costs about 1.3 s more (the host backs the pages on
# first touch), so each writer should find the pages the previous one freed. (Until 28 Nov the
# copy stayed until the next nbdcopy, so every relocation wrote beside it.)
nbdcopy_time() {
    local t0 t1
    t0=$(now)
    nbdcopy --flush "$1" "$WORK/copy.img"
    t1=$(now)
    cmp -s "$WORK/source.img" "$WORK/copy.img" || die "nbdcopy produced a different image"
    rm -f -- "$WORK/copy.img"
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

declare -a A_SERVE A_SERVE_COPY A_KIT A_KIT_COPY
for ((rep = 0; rep < REPS; rep++)); do
    echo "(a) relocation, run $((rep + 1)) of $REPS ..." >&2
    A_SERVE_COPY+=("$(nbdcopy_time "$SERVE_URI")")
    A_SERVE+=("$(relocate "reloc-$rep" "$SERVE_URI")")
    rm -f -- "$WORK"/reloc-"$rep".img*
    A_KIT_COPY+=("$(nbdcopy_time "$KIT_URI")")
    A_KIT+=("$(relocate "kit-$rep" "$KIT_URI")")
    rm -f -- "$WORK"/kit-"$rep".img*
done

# ---- (b) serving a fully present disk ---------------------------------------------------------
echo "(b) relocating once more to serve the completed disk ..." >&2
relocate present "$SERVE_URI" keep >/dev/null
cmp -s "$WORK/source.img" "$WORK/present.img" || die "the relocated cache differs from the source"
start serve-present "$RELOC" -q serve --listen 127.0.0.1:0 --export "vm1=$WORK/present.img,readonly"
PRESENT_SERVE_URI=$(await_uri serve-present)

declare -a B_RR_PROXY B_RR_SERVE B_SEQ_PROXY B_SEQ_SERVE
for ((rep = 0; rep < REPS; rep++)); do
    echo "(b) fio, run $((rep + 1)) of $REPS ..." >&2
    # Alternate which server goes first, so neither always meets a colder page cache.
    order="proxy serve"
    (( rep % 2 == 1 )) && order="serve proxy"
    for target in $order; do
        uri=$PROXY_URI
        [[ $target == serve ]] && uri=$PRESENT_SERVE_URI
        fio_run "$uri" "$WORK/rr-$target.json" --rw=randread --bs=4k --iodepth=32 --time_based --runtime="$RUNTIME"
        fio_run "$uri" "$WORK/seq-$target.json" --rw=read --bs=1M --iodepth=8 --time_based --runtime="$RUNTIME"
    done
    B_RR_PROXY+=("$(jq '.jobs[0].read.iops' "$WORK/rr-proxy.json")")
    B_RR_SERVE+=("$(jq '.jobs[0].read.iops' "$WORK/rr-serve.json")")
    B_SEQ_PROXY+=("$(jq '.jobs[0].read.bw_bytes / 1048576' "$WORK/seq-proxy.json")")
    B_SEQ_SERVE+=("$(jq '.jobs[0].read.bw_bytes / 1048576' "$WORK/seq-serve.json")")
done
stop "$PROXY_PID"

# ---- (c) demand-read latency ------------------------------------------------------------------
# One 4 KiB read at the start of every 64 KiB block (rw=read with 60 KiB holes): each read is a
# demand fetch. Both regions lie near the end of the disk, which the copier (in block order
# from block 0) has not reached yet; the status is checked after each run to prove it.
echo "(c) demand-read latency ..." >&2
C_CONTROL=127.0.0.1:$(free_port)
start latency "$RELOC" -q proxy --listen 127.0.0.1:0 --export vm1 --source "$SERVE_URI" \
    --cache "$WORK/latency.img" --control "$C_CONTROL" --activate --rate "$BUSY_RATE"
C_PID=$LAST_PID
C_URI=$(await_uri latency)
BUSY_OFFSET=$((BYTES - REGION))
IDLE_OFFSET=$((BYTES - 2 * REGION))
fio_run "$C_URI" "$WORK/busy.json" --rw=read:61440 --bs=4k --iodepth=1 --offset="$BUSY_OFFSET" --size="$REGION"
BUSY_STATUS=$(status "$C_CONTROL")
curl -sf -X POST "http://$C_CONTROL/pause" >/dev/null
sleep 1
fio_run "$C_URI" "$WORK/idle.json" --rw=read:61440 --bs=4k --iodepth=1 --offset="$IDLE_OFFSET" --size="$REGION"
IDLE_STATUS=$(status "$C_CONTROL")
stop "$C_PID"
present_before() { # status offset -> whether the copier stayed below offset (besides 1024 demand blocks)
    local copied=$(( $(jq .backgroundFetches <<<"$1") * 65536 ))
    (( copied < $2 ))
}
present_before "$BUSY_STATUS" "$IDLE_OFFSET" || echo "warning: the copier reached the measured region: $BUSY_STATUS" >&2
us() { jq ".jobs[0].read.clat_ns.percentile[\"$2\"] / 1000" "$1"; }
C_BUSY_P50=$(us "$WORK/busy.json" 50.000000)
C_BUSY_P99=$(us "$WORK/busy.json" 99.000000)
C_IDLE_P50=$(us "$WORK/idle.json" 50.000000)
C_IDLE_P99=$(us "$WORK/idle.json" 99.000000)
C_BUSY_IOS=$(jq '.jobs[0].read.total_ios' "$WORK/busy.json")
C_IDLE_IOS=$(jq '.jobs[0].read.total_ios' "$WORK/idle.json")
C_BUSY_DEMAND=$(jq .demandFetches <<<"$BUSY_STATUS")
C_IDLE_DEMAND=$(( $(jq .demandFetches <<<"$IDLE_STATUS") - C_BUSY_DEMAND ))
C_BG=$(jq .backgroundFetches <<<"$BUSY_STATUS")

stop "$SERVE_PID"
LOAD_AFTER=$(uptime)

# ---- report -----------------------------------------------------------------------------------
firsts() { local x; for x in "$@"; do echo "${x%/*}"; done; }
seconds() { local x; for x in "$@"; do echo "${x#*/}"; done; }
rs=$(min $(firsts "${A_SERVE[@]}")); rss=$(min $(seconds "${A_SERVE[@]}")); rsc=$(min "${A_SERVE_COPY[@]}")
rk=$(min $(firsts "${A_KIT[@]}")); rks=$(min $(seconds "${A_KIT[@]}")); rkc=$(min "${A_KIT_COPY[@]}")
rrp=$(max "${B_RR_PROXY[@]}"); rrs=$(max "${B_RR_SERVE[@]}")
sqp=$(max "${B_SEQ_PROXY[@]}"); sqs=$(max "${B_SEQ_SERVE[@]}")
# A guest that hands free memory back to its host pays for touching it again: about 1.7 s per GiB
# on the VM these figures come from, which moves a relocation or an nbdcopy by up to a second
# depending on which pages each one gets. Said in the header, so that figures are read with it.
MEMORY_NOTE=""
if [[ -r /sys/module/page_reporting/parameters/page_reporting_order ]]; then
    MEMORY_NOTE=" The guest reports free memory to its host (free page reporting, blocks of order $(cat /sys/module/page_reporting/parameters/page_reporting_order)): first touches of memory are slow (relocation-benchmark-log.md, \"28 Nov, late morning\")."
fi
cat <<EOF
Reloc relocation benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
Machine: $(nproc) CPUs, loopback, no emulation; image $SIZE random; fio runs of ${RUNTIME} s; best of $REPS.$MEMORY_NOTE
Load before: ${LOAD_BEFORE#*load average: }; after: ${LOAD_AFTER#*load average: } (a shared machine: other work ran meanwhile).

| Measure | Reloc | Baseline | Ratio | Goal |
|---|---|---|---|---|
| (a) relocate from reloc serve, s from activation to complete (runs, launch/activation: ${A_SERVE[*]}) | $rss | nbdcopy $rsc (${A_SERVE_COPY[*]}) | $(ratio "$rss" "$rsc")× | ≤ 1.1× |
| (a) same, s from launching the proxy (JVM start included) | $rs | nbdcopy $rsc | $(ratio "$rs" "$rsc")× | report |
| (a) relocate from nbdkit, s from activation to complete (runs, launch/activation: ${A_KIT[*]}) | $rks | nbdcopy $rkc (${A_KIT_COPY[*]}) | $(ratio "$rks" "$rkc")× | ≤ 1.1× |
| (a) same, s from launching the proxy (JVM start included) | $rk | nbdcopy $rkc | $(ratio "$rk" "$rkc")× | report |
| (b) randread 4k qd32, IOPS: proxy (complete) vs serve | $(fmt "$rrp") | $(fmt "$rrs") | $(ratio "$rrp" "$rrs")× | ≥ 0.95× |
| (b) read 1M qd8, MiB/s: proxy (complete) vs serve | $(fmt "$sqp") | $(fmt "$sqs") | $(ratio "$sqp" "$sqs")× | ≥ 0.95× |
| (c) absent 4 KiB read p50, µs: copier at $BUSY_RATE/s vs paused | $(fmt "$C_BUSY_P50") | $(fmt "$C_IDLE_P50") | $(ratio "$C_BUSY_P50" "$C_IDLE_P50")× | report |
| (c) absent 4 KiB read p99, µs: copier at $BUSY_RATE/s vs paused | $(fmt "$C_BUSY_P99") | $(fmt "$C_IDLE_P99") | $(ratio "$C_BUSY_P99" "$C_IDLE_P99")× | report |

(c) reads: $C_BUSY_IOS busy ($C_BUSY_DEMAND demand fetches, $C_BG blocks copied in the background meanwhile), $C_IDLE_IOS idle ($C_IDLE_DEMAND demand fetches).
EOF

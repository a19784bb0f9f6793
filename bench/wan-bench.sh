#!/usr/bin/env bash
# Relocation through the WAN emulator: a disk served by an in-process `reloc serve` (or by nbdkit,
# a plain NBD server), relocated by an in-process proxy across a WanLink, for three disk contents,
# while a VM-like reader issues a 4 KiB read of a block not yet copied every 50 ms (a demand
# fetch). Prints one markdown row per run, see docs/benchmarks.md "Relocation over a WAN".
# Usage: bench/wan-bench.sh [SIZE_MIB] [RTT] [RATE] [-- OPTION...]   (defaults: 256 20ms 100mbit)
#   options go to io.reloc.bench.WanRelocationBench: --block-size BYTES, --codec auto|none|NAME,
#   --source reloc|serve|nbdkit (serve: `reloc serve` in a JVM of its own), --probe-ms N,
#   --warm-up SECONDS, --idle-reads N, --rate RATE (the proxy's --rate, e.g. 95mbit),
#   --relay-priority realtime|normal (the emulator's relay threads; realtime needs root),
#   --breakdown (the demand reads split by hop, a second table; a third for the idle reads);
#   CONTENTS="random vmlike sparse" picks the disks and
#   JAVA_OPTS passes system properties, e.g. JAVA_OPTS="-Dreloc.background.pacing=throughput
#   -Dreloc.background.lane=shared" for the copy without demand-first.
set -euo pipefail
ROOT=$(cd -- "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/.." && pwd)
JAVA_HOME=$(RELOC_FIND_JDK_ONLY=1 "$ROOT/reloc")
JVM_TUNING=$(RELOC_JVM_TUNING=1 "$ROOT/reloc")   # the JIT settings every reloc command runs with
"$ROOT/reloc" version >/dev/null   # builds on first use
SIZE=${1:-256}; RTT=${2:-20ms}; RATE=${3:-100mbit}
shift $(( $# < 3 ? $# : 3 )); [[ ${1:-} == -- ]] && shift
WORK=${BENCH_DIR:-/tmp/reloc-wan-bench}
mkdir -p "$WORK"   # disks are kept and reused between runs; caches are removed after each
echo "| content | size | link | source | codec, blocks | allocated | time to complete | bound | utilisation | link busy | on the wire | wire/allocated | demand p50 | demand p99 | reads | bottleneck queue p50 / p99 | demand p50 / p99, link idle | result | load before → after |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for content in ${CONTENTS:-random vmlike sparse}; do
  # shellcheck disable=SC2086
  "$JAVA_HOME/bin/java" $JVM_TUNING ${JAVA_OPTS:-} --enable-native-access=ALL-UNNAMED \
    -cp "$ROOT/cli/target/reloc-cli-0.1.0-SNAPSHOT.jar:$ROOT/cli/target/lib/*" \
    io.reloc.bench.WanRelocationBench "$SIZE" "$content" "$RTT" "$RATE" "$WORK" "$@" 2>/dev/null | grep '^|'
done
echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load: $(cut -d' ' -f1-3 /proc/loadavg)"

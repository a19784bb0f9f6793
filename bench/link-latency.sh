#!/usr/bin/env bash
# The floor under the WAN bench's demand-read latencies: a bare 4-byte request and 4 KiB reply
# through the WAN emulator (and over plain loopback), with a pause between requests as the WAN
# bench's reader makes. Prints a markdown table, see docs/wan-benchmark-log.md, "Fifth pass".
# Usage: bench/link-latency.sh [RTT] [RATE] [-- --bytes N --gap-ms N --rounds N]   (defaults: 20ms 100mbit)
set -euo pipefail
ROOT=$(cd -- "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/.." && pwd)
JAVA_HOME=$(RELOC_FIND_JDK_ONLY=1 "$ROOT/reloc")
JVM_TUNING=$(RELOC_JVM_TUNING=1 "$ROOT/reloc")   # the JIT settings every reloc command runs with
"$ROOT/reloc" version >/dev/null   # builds on first use
RTT=${1:-20ms}; RATE=${2:-100mbit}
shift $(( $# < 2 ? $# : 2 )); [[ ${1:-} == -- ]] && shift
# shellcheck disable=SC2086 # a list of options, split on purpose
"$JAVA_HOME/bin/java" $JVM_TUNING -cp "$ROOT/cli/target/reloc-cli-0.1.0-SNAPSHOT.jar:$ROOT/cli/target/lib/*" \
  io.reloc.bench.LinkLatencyBench "$RTT" "$RATE" "$@" 2>/dev/null
echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load: $(cut -d' ' -f1-3 /proc/loadavg)"

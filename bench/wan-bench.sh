#!/usr/bin/env bash
# Relocation through the WAN emulator: a disk served by an in-process `reloc serve`, relocated by an
# in-process proxy across a WanLink, for three disk contents. Prints one markdown row per run:
# content | size | link | allocated | time to complete (incl. connection set-up) | bound | utilisation |
# bytes on the wire | wire/allocated | verification.
# Usage: bench/wan-bench.sh [SIZE_MIB] [RTT] [RATE]   (defaults: 256 20ms 100mbit)
set -euo pipefail
ROOT=$(cd -- "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/.." && pwd)
JAVA_HOME=$(RELOC_FIND_JDK_ONLY=1 "$ROOT/reloc")
"$ROOT/reloc" version >/dev/null   # builds on first use
SIZE=${1:-256}; RTT=${2:-20ms}; RATE=${3:-100mbit}
WORK=$(mktemp -d /tmp/reloc-wan-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
echo "| content | size | link | allocated | time to complete | bound | utilisation | on the wire | wire/allocated | result |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for content in random vmlike sparse; do
  "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED \
    -cp "$ROOT/cli/target/reloc-cli-0.1.0-SNAPSHOT.jar:$ROOT/cli/target/lib/*" \
    io.reloc.bench.WanRelocationBench "$SIZE" "$content" "$RTT" "$RATE" "$WORK" 2>/dev/null | grep '^|'
done
echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# Relocates the disk of a running QEMU guest with Reloc, end to end, on one machine:
#
#   source site:       reloc serve (vm1.img)  <-- QEMU A runs the guest (NBD drive)
#   destination site:  reloc proxy (dest.img) <-- QEMU B waits with -incoming (NBD drive)
#
# The guest writes numbered 64 KiB blocks to its disk without pause. QEMU A live-migrates it to
# QEMU B; at switch-over the proxy is activated; the guest goes on writing at the destination while
# the proxy copies the rest of the disk from the source. At the end the destination's disk must
# equal the source image plus every block the guest wrote, and the guest's own checksum of its disk.
#
# Needs: qemu-system-x86 (TCG is enough, no /dev/kvm), busybox-static, a Debian kernel image
# (linux-image-cloud-amd64), and the repository (./reloc builds itself on first use).
# Run from anywhere; everything goes to a temporary directory (RELOC_WORK to choose it).
# Takes about 30 s. Exit status 0 only if the disk verified.
set -euo pipefail

REPO=$(cd -- "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/../.." && pwd)
RELOC=$REPO/reloc
KERNEL=${KERNEL:-$(find /boot -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -n 1)}
MODULES=/lib/modules/${KERNEL#/boot/vmlinuz-}
# Exit status 77 (skipped) when something to install is missing.
need() { echo "qemu-walkthrough: $1; install it: apt-get install $2" >&2; exit 77; }
command -v qemu-system-x86_64 > /dev/null || need "qemu-system-x86_64 is missing" qemu-system-x86
[ -x /bin/busybox ] || need "/bin/busybox is missing" busybox-static
[ -r "$KERNEL" ] && [ -d "$MODULES" ] || need "no readable kernel in /boot (/boot/vmlinuz-* is readable by root only)" linux-image-cloud-amd64
W=${RELOC_WORK:-$(mktemp -d)}
mkdir -p "$W"
echo "working in $W"

# Stop whatever this script started, however it ends.
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true' EXIT
trap 'exit 143' TERM INT

fail() { echo "FAILED: $*" >&2; for f in "$W"/*.log; do echo "--- $f" >&2; tail -n 20 "$f" >&2; done; exit 1; }

# A TCP port nobody listens on, for QEMU's monitor, consoles and migration stream.
free_port() {
    local port
    while :; do
        port=$((20000 + RANDOM % 20000))
        (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null || { echo "$port"; return; }
    done
}

# Waits until FILE has a line matching REGEX (at most 120 s); prints the line.
await() {
    local file=$1 regex=$2 i
    for ((i = 0; i < 1200; i++)); do
        if grep -E -m 1 -- "$regex" "$file" 2> /dev/null; then return 0; fi
        sleep 0.1
    done
    fail "no line /$regex/ in $file"
}

# --- 1. The guest: a kernel and a busybox initramfs whose /init writes blocks to its disk.
mkdir -p "$W/initramfs/bin" "$W/initramfs/modules"
cp /bin/busybox "$W/initramfs/bin/busybox"
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk; do
    # The cloud kernel builds virtio as modules; /init loads them in this (dependency) order.
    find "$MODULES/kernel/drivers" -name "$m.ko*" -exec cp {} "$W/initramfs/modules/" \;
done
cat > "$W/initramfs/init" << 'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev && mount -t proc proc /proc && mount -t sysfs sys /sys && mount -t devtmpfs dev /dev
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk; do
    insmod /modules/$m.ko
done
for i in $(seq 50); do [ -b /dev/vda ] && break; sleep 0.1; done
[ -b /dev/vda ] || { echo "GUEST HAS NO DISK"; poweroff -f; }
# Block i (64 KiB of the text "guest block i") goes to offset 16 MiB + i * 64 KiB, once a second.
i=0
echo "GUEST READY"
while ! read -t 1 line || [ "$line" != stop ]; do
    if yes "guest block $i" | head -c 65536 | dd of=/dev/vda bs=65536 seek=$((256 + i)) iflag=fullblock conv=notrunc,fsync 2> /dev/null; then
        echo "GUEST WROTE $i"
    else
        echo "GUEST WRITE FAILED $i"
    fi
    i=$((i + 1))
done
sync
echo 3 > /proc/sys/vm/drop_caches
echo "GUEST DISK $(sha256sum /dev/vda)"
poweroff -f
EOF
chmod +x "$W/initramfs/init"
(cd "$W/initramfs" && find . | busybox cpio -o -H newc 2> /dev/null | gzip) > "$W/initramfs.gz"

# --- 2. The disk at the source site: 32 MiB, 4 MiB of data, the rest a hole.
truncate -s 32M "$W/vm1.img"
head -c 4M /dev/urandom | dd of="$W/vm1.img" conv=notrunc status=none
cp "$W/vm1.img" "$W/original.img"                     # kept to compute the expected disk

"$RELOC" serve --listen 127.0.0.1:0 --export vm1="$W/vm1.img" > "$W/serve.log" 2>&1 &
SOURCE=$(await "$W/serve.log" '^serving nbd://' | sed -E 's/^serving (nbd:[^ ]*).*/\1/')

# --- 3. The destination: the proxy in standby, serving the disk before any of it is local.
# (--rate only slows the background copy down enough to see the guest write during it.)
"$RELOC" proxy --listen 127.0.0.1:0 --export vm1 --source "$SOURCE" \
    --cache "$W/dest.img" --control 127.0.0.1:0 --rate 1M > "$W/proxy.log" 2>&1 &
DEST=$(await "$W/proxy.log" '^serving nbd://' | sed -E 's/^serving (nbd:[^ ]*).*/\1/')
CONTROL=$(await "$W/proxy.log" '^control: ' | sed -E 's|^control: http://([^/]*)/status|\1|')
ctl() { "$RELOC" ctl --control "$CONTROL" "$@"; }
echo "source $SOURCE, destination $DEST, control $CONTROL"

# --- 4. Two QEMUs with the same virtual hardware; only the drive and -incoming differ.
# -m 262136k: QEMU 7.2 under TCG can corrupt guest RAM during migration when the RAM size is a
# power of two (fixed in QEMU 9.0); a size slightly under it avoids that. Not a storage matter.
qemu() { # NAME DRIVE-URI [MORE QEMU OPTIONS]
    local name=$1 drive=$2
    shift 2
    qemu-system-x86_64 -accel tcg -m 262136k -nodefaults -display none -no-reboot \
        -kernel "$KERNEL" -initrd "$W/initramfs.gz" -append "console=ttyS0 quiet panic=-1" \
        -drive "file=$drive,format=raw,if=virtio,cache=none" \
        -chardev "socket,id=console,host=127.0.0.1,port=${PORT[$name-console]},server=on,wait=off" \
        -serial chardev:console \
        -qmp "tcp:127.0.0.1:${PORT[$name-qmp]},server=on,wait=off" "$@" > "$W/qemu-$name.log" 2>&1 &
}
declare -A PORT FD
for p in a-console a-qmp b-console b-qmp migration; do PORT[$p]=$(free_port); done

# Connects to a QEMU socket (console or monitor) as soon as it listens; copies what it says to a log.
attach() { # NAME-KIND
    local i
    for ((i = 0; i < 300; i++)); do
        if exec {fd}<> "/dev/tcp/127.0.0.1/${PORT[$1]}"; then
            FD[$1]=$fd
            return 0
        fi 2> /dev/null
        sleep 0.1
    done
    fail "QEMU does not listen on ${PORT[$1]} ($1)"
}
console() { # NAME: its console output goes to console-NAME.log (with the serial line's \r\n)
    attach "$1-console"
    cat <&"${FD[$1-console]}" > "$W/console-$1.log" &
}
# The QEMU monitor protocol: one JSON command per line, answered by a line with "return" or "error".
qmp_open() { # NAME
    local line
    attach "$1-qmp"
    read -r -t 60 -u "${FD[$1-qmp]}" line           # the greeting
    qmp "$1" '{"execute":"qmp_capabilities"}' > /dev/null
}
qmp() { # NAME JSON
    local line
    printf '%s\n' "$2" >&"${FD[$1-qmp]}"
    while read -r -t 60 -u "${FD[$1-qmp]}" line; do
        case $line in
            *'"return"'*) echo "$line"; return 0 ;;
            *'"error"'*) fail "QMP $2: $line" ;;
        esac                                            # anything else is an event
    done
    fail "QEMU $1 did not answer $2"
}
migration_status() { # NAME
    qmp "$1" '{"execute":"query-migrate"}' | sed -nE 's/.*"status": *"([a-z-]+)".*/\1/p'
}

qemu a "$SOURCE"
console a
qmp_open a
await "$W/console-a.log" 'GUEST READY' > /dev/null
qemu b "$DEST" -incoming "tcp:127.0.0.1:${PORT[migration]}"
console b
qmp_open b
await "$W/console-a.log" 'GUEST WROTE 5\s*$' > /dev/null
echo "the guest runs at the source and writes to its disk"
ctl status

# --- 5. Live migration. Pausing before switch-over lets us activate the proxy at the one moment
# when the guest runs nowhere: QEMU A has stopped it and flushed its disk, QEMU B not yet started it.
qmp a '{"execute":"migrate-set-parameters","arguments":{"max-bandwidth":1073741824}}' > /dev/null
qmp a '{"execute":"migrate-set-capabilities","arguments":{"capabilities":[{"capability":"pause-before-switchover","state":true}]}}' > /dev/null
qmp a "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:127.0.0.1:${PORT[migration]}\"}}" > /dev/null
for ((i = 0; i < 1200; i++)); do
    status=$(migration_status a)
    case $status in
        pre-switchover) break ;;
        failed | cancelled) fail "migration $status" ;;
    esac
    sleep 0.1
done
[ "$status" = pre-switchover ] || fail "migration did not reach switch-over (status $status)"
ctl activate                                          # "state":"relocating","activatedBy":"control"
qmp a '{"execute":"migrate-continue","arguments":{"state":"pre-switchover"}}' > /dev/null
for ((i = 0; i < 600; i++)); do
    status=$(migration_status a)
    [ "$status" = completed ] && break
    [ "$status" = failed ] && fail "migration failed"
    sleep 0.1
done
[ "$status" = completed ] || fail "migration did not complete (status $status)"
printf '%s\n' '{"execute":"quit"}' >&"${FD[a-qmp]}"   # the source QEMU is done
echo "migrated: the guest runs at the destination"

# --- 6. The guest goes on writing at the destination while the proxy copies the disk.
ctl status                                            # "fractionPresent" grows
last=$(grep -c 'GUEST WROTE' "$W/console-a.log" || true)
await "$W/console-b.log" "GUEST WROTE $((last + 3))\\s*\$" > /dev/null
ctl status
ctl wait 120                                          # returns once "state":"complete"
# The guest flushes, checksums its disk and powers off. Said again every 5 s: input on an emulated
# serial line is now and then lost, and the guest only stops at a whole "stop" line.
for ((i = 0; i < 24; i++)); do
    grep -q '^GUEST DISK ' "$W/console-b.log" && break
    printf 'stop\n' >&"${FD[b-console]}"
    sleep 5
done
GUEST_SUM=$(await "$W/console-b.log" '^GUEST DISK ' | awk '{print $3}')

# --- 7. Verify: the destination equals the original disk plus every block the guest wrote, and
# the guest's own view of its disk.
cp "$W/original.img" "$W/expected.img"
cat "$W/console-a.log" "$W/console-b.log" | tr -d '\r' | sed -nE 's/^GUEST WROTE ([0-9]+)$/\1/p' | sort -n -u |
    while read -r i; do
        { yes "guest block $i" || true; } | head -c 65536 |
            dd of="$W/expected.img" bs=65536 seek=$((256 + i)) iflag=fullblock conv=notrunc status=none
    done
wrote_at_source=$(grep -c 'GUEST WROTE' "$W/console-a.log")
wrote_at_destination=$(grep -c 'GUEST WROTE' "$W/console-b.log")
cmp "$W/expected.img" "$W/dest.img" || fail "the destination's disk differs from what the guest wrote"
[ "$(sha256sum < "$W/dest.img" | awk '{print $1}')" = "$GUEST_SUM" ] ||
    fail "the destination's disk differs from the guest's checksum $GUEST_SUM"
echo "verified: 32 MiB at the destination = the source disk + $wrote_at_source blocks written at the source" \
    "+ $wrote_at_destination at the destination; the guest's checksum matches"

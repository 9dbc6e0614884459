#!/usr/bin/env bash
# Make samples/libvirt/: real libvirt save images, one per save_image_format, with real libvirt.
#   tools/make-libvirt-samples.sh [bookworm|trixie|all]     (as root; default: all)
#
# bookworm: Debian 12's libvirt 9.0 and QEMU 7.2 on this host: raw, gzip, bzip2, xz and lzop
#           images, a managed save and an external memory snapshot. Needs no systemd: virtlogd
#           and libvirtd are started by hand and stopped by pid.
# trixie:   Debian 13's libvirt 11.x and QEMU 10.0 in a debootstrap chroot ($CHROOT): zstd
#           (libvirt >= 10.4) and sparse (>= 11.2), plus raw. libvirt 9.0 accepts
#           save_image_format = "zstd" but then fails every save.
#
# Each image is restored with `virsh restore` before it is kept. The guest is a 64 MiB TCG
# domain with no NIC, no USB, no balloon and an empty 1 MiB raw virtio disk, so SeaBIOS ends in
# "No bootable device". /etc/libvirt/qemu.conf is backed up and put back afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=$PWD/samples/libvirt
CHROOT=${CHROOT:-/var/tmp/vmdiff-trixie}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
DOMAIN=vmdiff-sample
ROOT=/            # the system libvirt runs in: / or $CHROOT
mkdir -p "$OUT"

log() { printf '%s\n' "make-libvirt-samples: $*" >&2; }

in_root() {
  if [ "$ROOT" = / ]; then "$@"; else chroot "$ROOT" "$@"; fi
}

virsh_() { in_root virsh -q -c qemu:///system "$@"; }

daemon_pid() { cat "$ROOT/run/$1.pid" 2>/dev/null || true; }

stop_daemons() {
  local daemon pid
  for daemon in libvirtd virtlogd; do
    pid=$(daemon_pid "$daemon")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    fi
  done
}

start_daemons() {
  # libvirtd resolves its built-in QEMU user before it reads qemu.conf; libvirt-daemon-system
  # (not installed: it wants systemd) would have created it.
  if ! in_root getent passwd libvirt-qemu >/dev/null; then
    in_root groupadd --system libvirt-qemu 2>/dev/null || true
    in_root useradd --system --no-create-home --gid libvirt-qemu libvirt-qemu
  fi
  mkdir -p "$ROOT/var/log/libvirt/qemu" "$ROOT/var/lib/libvirt/qemu/save" "$ROOT/run/libvirt"
  in_root virtlogd -d
  in_root libvirtd -d
  for _ in $(seq 150); do
    virsh_ version >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  log "libvirtd did not answer within 30 s"
  exit 1
}

set_format() {
  local conf="$ROOT/etc/libvirt/qemu.conf"
  # Without libvirt-daemon-system there is no qemu.conf: the defaults apply.
  if [ ! -f "$conf.vmdiff-orig" ]; then
    if [ -f "$conf" ]; then cp "$conf" "$conf.vmdiff-orig"; else : >"$conf.vmdiff-orig"; fi
  fi
  {
    cat "$conf.vmdiff-orig"
    echo 'user = "root"'
    echo 'group = "root"'
    echo 'cgroup_controllers = [ ]'
    echo 'security_driver = "none"'
    # QEMU cannot set up its mount namespace in a chroot ("Failed disable mount propagation").
    if [ "$ROOT" != / ]; then echo 'namespaces = [ ]'; fi
    echo "save_image_format = \"$1\""
    echo "snapshot_image_format = \"$1\""
  } >"$conf"
}

restore_conf() {
  local conf="$ROOT/etc/libvirt/qemu.conf"
  if [ -f "$conf.vmdiff-orig" ]; then mv "$conf.vmdiff-orig" "$conf"; fi
}

cleanup() {
  virsh_ destroy "$DOMAIN" >/dev/null 2>&1 || true
  virsh_ managedsave-remove "$DOMAIN" >/dev/null 2>&1 || true
  virsh_ undefine "$DOMAIN" --snapshots-metadata >/dev/null 2>&1 || true
  stop_daemons
  restore_conf
  if [ "$ROOT" != / ]; then
    for mount in dev/pts dev proc sys; do umount "$ROOT/$mount" 2>/dev/null || true; done
  fi
}
trap 'cleanup' EXIT

define_domain() {
  local disk=/var/lib/libvirt/images/$DOMAIN.raw
  mkdir -p "$ROOT/var/lib/libvirt/images"
  truncate -s 1M "$ROOT$disk"
  cat >"$ROOT/tmp/$DOMAIN.xml" <<EOF
<domain type='qemu'>
  <name>$DOMAIN</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <features><acpi/></features>
  <clock offset='utc'/>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='$disk'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
  virsh_ undefine "$DOMAIN" --managed-save --snapshots-metadata >/dev/null 2>&1 || true
  virsh_ define "/tmp/$DOMAIN.xml" >/dev/null
}

# save FORMAT NAME [virsh save options]: a running guest saved with save_image_format=FORMAT.
save() {
  local format=$1 name=$2
  shift 2
  log "$name: save_image_format=$format"
  stop_daemons
  set_format "$format"
  start_daemons
  define_domain
  virsh_ start "$DOMAIN" >/dev/null
  sleep 2  # SeaBIOS runs to "No bootable device"
  virsh_ save "$DOMAIN" "/tmp/$name" "$@" >/dev/null
  virsh_ restore "/tmp/$name" >/dev/null
  virsh_ destroy "$DOMAIN" >/dev/null
  keep "/tmp/$name" "$name"
}

managedsave() {
  local name=$1
  log "$name: virsh managedsave"
  virsh_ start "$DOMAIN" >/dev/null
  sleep 2
  virsh_ managedsave "$DOMAIN" >/dev/null
  cp "$ROOT/var/lib/libvirt/qemu/save/$DOMAIN.save" "$ROOT/tmp/$name"
  virsh_ start "$DOMAIN" >/dev/null  # restores the managed save and deletes it
  virsh_ destroy "$DOMAIN" >/dev/null
  keep "/tmp/$name" "$name"
}

snapshot_memory() {
  local name=$1
  log "$name: external snapshot with memory"
  virsh_ start "$DOMAIN" >/dev/null
  sleep 2
  virsh_ snapshot-create-as "$DOMAIN" vmdiff-snap --no-metadata \
    --memspec "file=/tmp/$name,snapshot=external" --diskspec vda,snapshot=no >/dev/null
  virsh_ destroy "$DOMAIN" >/dev/null
  keep "/tmp/$name" "$name"
}

# keep PATH NAME: copy an image out of $ROOT; sparse images are stored xz-compressed.
keep() {
  local src=$ROOT$1 name=$2
  if [[ $name == *sparse* ]]; then
    xz -T1 -c "$src" >"$OUT/$name.xz"
  else
    cp "$src" "$OUT/$name"
  fi
  chmod 644 "$OUT/$name"*
  rm -f "$src"
}

versions() {
  libvirt_version=$(in_root libvirtd --version | awk '{print $NF}')
  qemu_version=$(in_root qemu-system-x86_64 --version | head -1 | awk '{print $4}')
  log "$1: libvirt $libvirt_version, QEMU $qemu_version"
}

bookworm() {
  ROOT=/
  if ! command -v libvirtd >/dev/null; then
    apt-get install -y -q libvirt-daemon-driver-qemu libvirt-clients libvirt-daemon lzop
  fi
  if pgrep -x libvirtd >/dev/null; then
    log "a libvirtd is already running; stop it first"
    exit 1
  fi
  rm -f /etc/libvirt/qemu/networks/autostart/default.xml
  versions bookworm
  save raw libvirt-9.0-raw.sav
  managedsave libvirt-9.0-managedsave.save
  snapshot_memory libvirt-9.0-snapshot-memory.save
  save raw libvirt-9.0-raw-paused.sav --paused
  for format in gzip bzip2 xz lzop; do
    save "$format" "libvirt-9.0-$format.sav"
  done
  cleanup
}

trixie() {
  ROOT=$CHROOT
  if [ ! -x "$CHROOT/usr/sbin/libvirtd" ]; then
    log "debootstrap Debian 13 into $CHROOT"
    debootstrap --variant=minbase trixie "$CHROOT" "$MIRROR"
    chroot "$CHROOT" sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
      --no-install-recommends libvirt-daemon-driver-qemu libvirt-clients libvirt-daemon \
      qemu-system-x86 lzop zstd xz-utils'
  fi
  mount -t proc proc "$CHROOT/proc"
  mount -t sysfs sys "$CHROOT/sys"
  mount --bind /dev "$CHROOT/dev"
  mount --bind /dev/pts "$CHROOT/dev/pts"
  rm -f "$CHROOT/etc/libvirt/qemu/networks/autostart/default.xml"
  versions trixie
  save raw libvirt-11-raw.sav
  save zstd libvirt-11-zstd.sav
  save sparse libvirt-11-sparse.sav
  cleanup
}

case "${1:-all}" in
  bookworm) bookworm ;;
  trixie) trixie ;;
  all) bookworm; trixie ;;
  *) sed -n '2,3p' "$0" >&2; exit 2 ;;
esac
log "done: $(ls "$OUT")"

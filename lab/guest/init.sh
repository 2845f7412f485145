#!/bin/sh
# Stage 2 of the lab VM, PID 1 on the host's filesystem (read-only lower, RAM overlay):
# mount the kernel file systems, make the guest kernel's modules visible, mount the state
# disk, bring up the management NIC, make the data NICs (guest-boot.js), run the boot-time
# restore as a host's boot unit would, and start the guest agent that runs `lab exec` commands.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root NO_COLOR=1 TERM=dumb
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm && mount -t devpts devpts /dev/pts && mount -t tmpfs tmpfs /dev/shm
# Everything the guest needs from the host is mounted under /mnt first and moved into place
# after the guest's own tmpfs /run, /tmp and /var/tmp are mounted, which would hide it (the lab
# directory lives under the host's /run, and a checkout may live under /tmp).
mkdir -p /mnt/ovnh-share /mnt/ovnh-labdir /mnt/ovnh-project /mnt/ovnh-modules /mnt/ovnh-kmod
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 labshare /mnt/ovnh-share
conf=/mnt/ovnh-share/guest.env
set -a; [ -f "$conf" ] && . "$conf"; set +a
: "${OVNH_MODULES:?guest.env must name OVNH_MODULES}" "${OVNH_NODE:?}" "${OVNH_REPO:?}" "${OVNH_LABDIR:?}"
mount --bind "$OVNH_LABDIR" /mnt/ovnh-labdir
mount --bind "$OVNH_MODULES" /mnt/ovnh-kmod
# The checkout cached (a CLI start reads ~300 files; uncached, each open and stat is a round
# trip to QEMU), its node_modules from the cached root, and the checkout once more uncached,
# where the guest agent watches the build stamp: a rebuild on the host drops the guest's caches
# before the next command runs (guest-agent.ts), so code rebuilt on the host is seen at once.
mkdir -p /mnt/ovnh-live
mount --bind "$OVNH_REPO/node_modules" /mnt/ovnh-modules
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose,ro project /mnt/ovnh-project
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=none,ro projectlive /mnt/ovnh-live
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=1777 tmpfs /var/tmp
mkdir -p /run/ovnh-share /run/ovnh-project-live "$OVNH_LABDIR" "$OVNH_REPO" /lib/modules
mount --move /mnt/ovnh-share /run/ovnh-share
mount --move /mnt/ovnh-live /run/ovnh-project-live
export OVNH_PROJECT_LIVE=/run/ovnh-project-live
# Node's compile cache for every process of the guest (RAM, this boot only, root's alone): a
# second start of the CLI skips compiling what the first compiled; V8 checks each entry
# against its source, so a rebuilt file is compiled afresh.
mkdir -m 0700 /run/ovnh-node-cache
export NODE_COMPILE_CACHE=/run/ovnh-node-cache
mount --move /mnt/ovnh-labdir "$OVNH_LABDIR"
mount --move /mnt/ovnh-project "$OVNH_REPO"
mount --move /mnt/ovnh-modules "$OVNH_REPO/node_modules"
mount --move /mnt/ovnh-kmod /lib/modules
modprobe -a virtio_net virtio_blk ext4 bonding 8021q dummy bridge veth tun sch_netem sch_hfsc sch_fq_codel cls_u32 cls_basic em_meta
hostname "$OVNH_NODE"
echo "127.0.0.1 localhost $OVNH_NODE" > /etc/hosts
: > /etc/resolv.conf
# The agent's state survives reboots and power cuts on its own disk (ext4 replays its journal).
: "${OVNH_STATE_DIR:?}"
mkdir -p "$OVNH_STATE_DIR"
mount -t ext4 /dev/vda "$OVNH_STATE_DIR" || echo "stage2: no state disk; the agent's state is in RAM"
running="$OVNH_STATE_DIR/running-config.json"
ip link set lo up
# The OS's own network config of the management NIC, unless the handler owns it (as a host's
# ifcfg is handed over to VDSM): then the boot restore below builds what the handler persisted.
if [ -s "$running" ] && grep -q '"eth0"' "$running"; then
  echo "stage2: eth0 is the handler's; its boot restore configures it"
else
  ip addr add 10.0.2.15/24 dev eth0
fi
ip link set eth0 up
node="$OVNH_REPO/node_modules/node/bin/node"
"$node" "$OVNH_REPO/dist/lab/src/guest-boot.js" > /run/ovnh-share/guest-boot.log 2>&1 || echo "stage2: guest-boot failed (see guest-boot.log)"
if [ -s "$running" ]; then
  echo "stage2: restoring the persisted network configuration"
  "$node" "$OVNH_REPO/bin/ovirt-node-network-handler.js" restore --state-dir "$OVNH_STATE_DIR" > /run/ovnh-share/boot-restore.log 2>&1 \
    || echo "stage2: boot restore failed (see boot-restore.log)"
fi
echo "stage2: $(uname -r) up, starting guest agent"
"$node" "$OVNH_REPO/dist/lab/src/guest-agent.js" > /run/ovnh-share/guest-agent.log 2>&1 &
agent=$!
# PID 1 reaps orphans; when the agent dies the VM has no purpose left.
while kill -0 "$agent" 2>/dev/null; do wait "$agent"; done
echo "stage2: guest agent exited, powering off"
sync
echo o > /proc/sysrq-trigger

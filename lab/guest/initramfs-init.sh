#!/bin/busybox sh
# Stage 1 of the lab VM (runs from the initramfs): load the virtio/9p/overlay modules, mount
# the host's root read-only over 9p with a RAM overlay on top (writes stay in the guest), and
# switch root to the stage-2 init named on the kernel command line (ovnh.init=PATH).
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules.list); do insmod "/modules/$m" || echo "stage1: insmod $m failed"; done
stage2=""
for arg in $(cat /proc/cmdline); do
  case "$arg" in ovnh.init=*) stage2="${arg#ovnh.init=}" ;; esac
done
mkdir -p /lower /upper /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose,ro hostroot /lower || { echo "stage1: cannot mount hostroot"; echo o > /proc/sysrq-trigger; }
mount -t tmpfs -o size=1g,mode=0755 tmpfs /upper
mkdir -p /upper/data /upper/work
if ! mount -t overlay overlay -o lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work /newroot; then
  echo "stage1: overlay failed, using the read-only root as is"
  mount --bind /lower /newroot
fi
umount /proc /sys /dev
echo "stage1: switching root to $stage2"
exec switch_root /newroot /bin/sh "$stage2"

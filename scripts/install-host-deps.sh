#!/usr/bin/env bash
# Debian packages the lab, the agent and the tests need. Idempotent; run as root.
set -euo pipefail
pkgs=(
  iproute2 iputils-ping kmod procps   # kernel networking, modprobe/depmod for the VM kernel
  dnsmasq-base                         # DHCP/DNS server on the lab's switches (no system service)
  dhcpcd-base                          # the DHCP client the agent supervises
  lldpd                                # LLDP: the agent's receiver, the lab switch's announcements
  ethtool                              # NIC features (spec.nics.NIC.ethtoolOpts): read and set by the agent
  socat                                # forwards the API server into the lab network
  iperf3                               # bench/qos-throughput.ts (the VM's root is this one's); debconf: no daemon
  qemu-system-x86 busybox-static cpio  # the VM node: QEMU, its initramfs
  openssl ca-certificates
  # Real nodes: each namespace node runs containerd + runc (Debian's: containerd 1.6 serves the
  # CRI v1 the kubelet 1.33 speaks) and kube-proxy (iptables); the loopback CNI plugin; gcc builds
  # the pause image from the Kubernetes module's source, umoci assembles it; mmdebstrap + umoci
  # build the agent's image (image/build.sh).
  containerd runc containernetworking-plugins iptables util-linux gcc libc6-dev umoci mmdebstrap
  prometheus                           # promtool: checks and tests the alert rules (deploy/monitoring)
)
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if ((${#missing[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# A package's system service, started by its installation where an init system lets it, is
# stopped and disabled (a container without one refuses: policy-rc.d, no systemd).
disable_service() {
  if [ -d /run/systemd/system ]; then
    systemctl disable --now "$1.service" >/dev/null 2>&1 || true
  else
    invoke-rc.d "$1" stop >/dev/null 2>&1 || true
    update-rc.d "$1" disable >/dev/null 2>&1 || true
  fi
}
# Debian's prometheus package enables and starts a Prometheus service. Only promtool is wanted
# here, and a lab runs its own Prometheus: a service this script brought in is stopped and disabled.
if [[ " ${missing[*]} " == *" prometheus "* ]]; then
  disable_service prometheus
  if pgrep -u prometheus -x prometheus >/dev/null 2>&1; then
    echo "the prometheus package's service is still running (pgrep -u prometheus -x prometheus): stop and disable it" >&2
    exit 1
  fi
fi
# Debian's lldpd package enables a system lldpd that transmits on every interface; the agent and
# the lab run their own, on the interfaces they name. A service this script brought in is stopped
# and disabled, as prometheus's is.
if [[ " ${missing[*]} " == *" lldpd "* ]]; then
  disable_service lldpd
fi
# apt-cache must know the kernel package the VM boots (ensureKernel resolves linux-image-amd64).
apt-cache show linux-image-amd64 >/dev/null 2>&1 || apt-get update -qq
command -v go >/dev/null || { echo "Go toolchain missing: the lab builds kube-apiserver and etcd from Go modules" >&2; exit 1; }
command -v kubectl >/dev/null || { echo "kubectl missing" >&2; exit 1; }

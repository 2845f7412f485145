#!/usr/bin/env bash
# The costs of the lab's real nodes (issue 12), as docs/benchmarks.md reports them:
#   lab up warm (caches kept) and, with --cold, cold (empty Go build cache, binary cache and
#   image cache: what a fresh machine pays); the product's install through `kubectl apply -k`
#   until every kubelet node's object is Available; one image import into a node's containerd;
#   resident memory of kubelet, containerd, kube-proxy and the shims per node.
# Stops any running lab and leaves one up (warm) at the end. Root, from a checkout after npm ci
# and npm run build:   bench/real-nodes.sh [--cold]
set -euo pipefail
cd "$(dirname "$0")/.."
cli=./bin/ovirt-node-network-handler.js
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

if [ "${1:-}" = --cold ]; then
  cold=$(mktemp -d /tmp/ovnh-cold.XXXX)
  "$cli" lab down >/dev/null 2>&1 || true
  t0=$(now)
  # The image's cache (the Debian base layer) goes aside for the run and comes back after.
  [ -d .tmp-image ] && mv .tmp-image "$cold/tmp-image"
  GOCACHE=$cold/go-build OVNH_LAB_CACHE=$cold/cache "$cli" lab up --vm-nodes 0 2>&1 | grep -E 'done in' || true
  echo "lab up, cold (Go build cache, binaries, pause and agent image caches empty; no VM): $(secs "$t0" "$(now)") s"
  "$cli" lab down >/dev/null 2>&1 || true
  rm -rf .tmp-image
  [ -d "$cold/tmp-image" ] && mv "$cold/tmp-image" .tmp-image
  rm -rf "$cold"
fi

"$cli" lab down >/dev/null 2>&1 || true
t0=$(now)
"$cli" lab up >/dev/null 2>&1
echo "lab up, warm (2 kubelet nodes + the VM, product installed): $(secs "$t0" "$(now)") s"
"$cli" lab down >/dev/null 2>&1
t0=$(now)
"$cli" lab up --no-install >/dev/null 2>&1
echo "lab up --no-install, warm: $(secs "$t0" "$(now)") s"
export KUBECONFIG=$("$cli" lab kubeconfig)
nodes=$(kubectl get nodes -l ovnh.lab/agent=pod -o jsonpath='{.items[*].metadata.name}')
t0=$(now)
kubectl apply -k lab/deploy >/dev/null
kubectl -n ovirt-node-network-handler rollout status ds/ovirt-node-network-handler --timeout=300s >/dev/null
t1=$(now)
for n in $nodes; do
  until kubectl get "ovirtnodenetwork/$n" >/dev/null 2>&1; do sleep 0.2; done
  kubectl wait --for=condition=Available "ovirtnodenetwork/$n" --timeout=300s >/dev/null
done
echo "kubectl apply -k → DaemonSet rolled out: $(secs "$t0" "$t1") s; → every object Available: $(secs "$t0" "$(now)") s"
"$cli" lab agents >/dev/null

first=${nodes%% *}
sock=${OVNH_LAB_NODES_DIR:-/var/lib/ovnh-lab}/nodes/$first/run/containerd/containerd.sock
t0=$(now)
ctr -a "$sock" -n ovnh-bench images import /run/ovnh-lab/agent-image.oci.tar >/dev/null
echo "image import into one node's containerd (agent image, unpacked): $(secs "$t0" "$(now)") s"
ctr -a "$sock" -n ovnh-bench images rm "$(ctr -a "$sock" -n ovnh-bench images ls -q | head -1)" >/dev/null
ctr -a "$sock" namespaces rm ovnh-bench >/dev/null 2>&1 || true

rss() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
for n in $nodes; do
  dir=${OVNH_LAB_NODES_DIR:-/var/lib/ovnh-lab}/nodes/$n
  k=$(pgrep -f "kubelet.*$dir/kubelet.yaml" | tail -1); c=$(pgrep -f "containerd --config $dir/containerd.toml" | tail -1)
  p=$(pgrep -f "kube-proxy.*$dir/kube-proxy.yaml" | tail -1)
  # The shims name no node on their command line: they are the node's by its mount namespace.
  ns=$(readlink "/proc/$(pgrep -f "$dir/anchor" | head -1)/ns/mnt")
  shims=0; for s in $(pgrep -f containerd-shim-runc-v2 || true); do
    [ "$(readlink "/proc/$s/ns/mnt" 2>/dev/null)" = "$ns" ] && shims=$((shims + $(rss "$s")))
  done
  echo "$n RSS MB: kubelet $(rss "$k"), containerd $(rss "$c"), kube-proxy $(rss "$p"), shims $shims"
done

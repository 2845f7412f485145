#!/usr/bin/env bash
# The seed's demo on the lab, installed the way users install it:
#   a real API server, kubelet + containerd nodes, then `kubectl apply -k` and the DaemonSet
#   rolling out; then `kubectl get ovirtnodenetworks -o yaml` and the seed's "Add a network"
#   (a bond and a bridged DHCP network on the VM node, whose agent runs as a process).
set -euo pipefail
cd "$(dirname "$0")/.."
cli=./bin/ovirt-node-network-handler.js
"$cli" lab up --no-install
export KUBECONFIG=$("$cli" lab kubeconfig)
echo "== kubectl get nodes -o wide (registered by their kubelets; vm-node-1 runs none)"
kubectl get nodes -o wide
echo "== kubectl apply -k lab/deploy   (deploy/ with the image lab up imported into each node)"
kubectl apply -k lab/deploy
kubectl -n ovirt-node-network-handler rollout status ds/ovirt-node-network-handler --timeout=180s
kubectl -n ovirt-node-network-handler rollout status deploy/ovirt-network-policy-controller --timeout=180s
kubectl -n ovirt-node-network-handler get pods -o wide
"$cli" lab agents
nodes=$(kubectl get nodes -o jsonpath='{.items[*].metadata.name}')
echo "== waiting for every node's agent to report"
for n in $nodes; do
  # Each agent creates its node's object; wait for it to exist, then for its first report.
  for _ in $(seq 180); do kubectl get "ovirtnodenetwork/$n" >/dev/null 2>&1 && break; sleep 1; done
  kubectl wait --for=condition=Available "ovirtnodenetwork/$n" --timeout=180s
  for _ in $(seq 60); do [ -n "$(kubectl get "ovirtnodenetwork/$n" -o jsonpath='{.status.statistics}')" ] && break; sleep 1; done
done
echo "== kubectl get ovirtnodenetworks"
kubectl get ovirtnodenetworks
echo "== kubectl get ovirtnodenetworks -o yaml"
kubectl get ovirtnodenetworks -o yaml
pod=$(kubectl -n ovirt-node-network-handler get pods -l app.kubernetes.io/name=ovirt-node-network-handler --field-selector spec.nodeName=ns-node-1 -o jsonpath='{.items[0].metadata.name}')
echo "== kubectl exec $pod -- ovirt-node-network-handler show --tree"
kubectl -n ovirt-node-network-handler exec "$pod" -- ovirt-node-network-handler show --tree
echo "== add a network (the seed's node_network.yml, for vm-node-1)"
gen=$(kubectl replace -f examples/node_network.yml -o jsonpath='{.metadata.generation}')
# kubectl wait cannot tell an old Available from a new one: wait for this generation first.
kubectl wait --for=jsonpath='{.status.observedGeneration}'="$gen" ovirtnodenetwork/vm-node-1 --timeout=300s
kubectl wait --for=condition=Available ovirtnodenetwork/vm-node-1 --timeout=60s
kubectl get ovirtnodenetwork vm-node-1 -o jsonpath='{.status.kernelConfig}' ; echo
"$cli" lab exec vm-node-1 -- ip -br addr show net1
echo "== the lab stays up; stop it with: $cli lab down"

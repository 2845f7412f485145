#!/usr/bin/env bash
# The seed's demo on the lab: a real API server, simulated nodes with an agent each, then
#   kubectl get ovirtnodenetworks -o yaml
# and the seed's "Add a network" (a bond and a bridged DHCP network on the VM node).
set -euo pipefail
cd "$(dirname "$0")/.."
cli=./bin/ovirt-node-network-handler.js
"$cli" lab up
export KUBECONFIG=$("$cli" lab kubeconfig)
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
echo "== add a network (the seed's node_network.yml, for vm-node-1)"
gen=$(kubectl replace -f examples/node_network.yml -o jsonpath='{.metadata.generation}')
# kubectl wait cannot tell an old Available from a new one: wait for this generation first.
kubectl wait --for=jsonpath='{.status.observedGeneration}'="$gen" ovirtnodenetwork/vm-node-1 --timeout=300s
kubectl wait --for=condition=Available ovirtnodenetwork/vm-node-1 --timeout=60s
kubectl get ovirtnodenetwork vm-node-1 -o jsonpath='{.status.kernelConfig}' ; echo
"$cli" lab exec vm-node-1 -- ip -br addr show net1
echo "== the lab stays up; stop it with: $cli lab down"

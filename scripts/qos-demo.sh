#!/bin/bash
# The README's host QoS example, run inside the lab VM (a dummy NIC of its own), with its real output:
#   node --input-type=module -e "..." labExec(vm-node-1, [bash, scripts/qos-demo.sh])   (see README)
set -x
B=/work/wt-qos/bin/ovirt-node-network-handler.js; N=/work/wt-qos/node_modules/node/bin/node; S=/tmp/ovnh-qos-demo
ip link add demo0 type dummy; ip link set demo0 up
cat > /tmp/qos-demo.yaml <<'Y'
networks:
  storage:
    nic: demo0
    vlan: 10
    bridged: false
    hostQos:
      out:
        ls: {m2: 50}
        ul: {m2: 800000000}
  migration:
    nic: demo0
    vlan: 20
    bridged: false
    hostQos:
      out:
        ls: {m1: 100, d: 100000, m2: 30}
        rt: {m2: 100000000}
        ul: {m2: 500000000}
Y
NO_COLOR=1 $N $B apply -f /tmp/qos-demo.yaml --state-dir $S --no-verify --dry-run
NO_COLOR=1 $N $B apply -f /tmp/qos-demo.yaml --state-dir $S --no-verify
tc qdisc show dev demo0; tc class show dev demo0; tc filter show dev demo0 parent 1389:
NO_COLOR=1 $N $B show --state-dir $S --interface migration
echo '{"networks":{"storage":{"nic":"demo0","vlan":10,"bridged":false,"hostQos":{"out":{"ul":{"m2":8}}}},"migration":{"nic":"demo0","vlan":20,"bridged":false}}}' | NO_COLOR=1 $N $B apply -f - --state-dir $S --no-verify
echo '{}' | NO_COLOR=1 $N $B apply -f - --state-dir $S --no-verify -q
tc qdisc show dev demo0
ip link del demo0; rm -rf $S /tmp/qos-demo.yaml

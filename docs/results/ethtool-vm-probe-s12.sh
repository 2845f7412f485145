#!/bin/bash
# Runs under flock /tmp/ovnh-lab.lock: read-only probe of the VM node's virtio-net NIC, plus one
# ring change that is set back at once.
cd /work/main
date -u
L=./bin/ovirt-node-network-handler.js
timeout 120 $L lab exec vm-node-1 -- sh -c 'exec > /tmp/s12-probe.txt 2>&1; uname -r; ethtool -i eth0; ethtool -g eth0; ethtool -c eth0; ethtool -G eth0 rx 128; echo "rc(-G rx 128)=$?"; ethtool -g eth0; ethtool -G eth0 rx 256; echo "rc(-G rx 256)=$?"; ethtool -g eth0; ethtool -C eth0 tx-frames 0; echo "rc(-C tx-frames 0)=$?"; ethtool -c eth0 | grep -E "^(rx|tx)-frames:"; ethtool -C eth0 tx-frames 1; echo "rc(-C tx-frames 1)=$?"; ethtool -C eth0 rx-usecs 8; echo "rc(-C rx-usecs 8)=$?"'
echo "exec rc=$?"
sleep 2
timeout 60 $L lab exec vm-node-1 -- cat /tmp/s12-probe.txt
echo "cat rc=$?"
date -u

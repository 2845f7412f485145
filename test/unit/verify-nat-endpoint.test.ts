// The path-MTU probe's target behind a ClusterIP (src/verify/connectivity.ts): the reply source
// of the agent's own translated connection in the conntrack table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { natEndpoint } from '../../src/verify/connectivity.js';

const TABLE = [
  'ipv4     2 tcp      6 86390 ESTABLISHED src=10.88.0.11 dst=10.88.0.1 sport=40000 dport=16443 src=10.88.0.1 dst=10.88.0.11 sport=16443 dport=40000 [ASSURED] mark=0 zone=0 use=2',
  'ipv4     2 tcp      6 86399 ESTABLISHED src=10.88.0.11 dst=10.96.0.1 sport=45678 dport=443 src=10.88.0.1 dst=10.88.0.11 sport=16443 dport=45678 [ASSURED] mark=0 zone=0 use=2',
  'ipv4     2 udp      17 20 src=10.89.0.150 dst=10.89.0.1 sport=68 dport=67 src=10.89.0.1 dst=10.89.0.150 sport=67 dport=68 mark=0 zone=0 use=2',
].join('\n');

test('a ClusterIP connection is followed to the endpoint kube-proxy translated it to', () => {
  assert.equal(natEndpoint(TABLE, '10.96.0.1', 443), '10.88.0.1');
});

test('no entry, another port, or an untranslated connection leave the address as it is', () => {
  assert.equal(natEndpoint(TABLE, '10.96.0.2', 443), undefined);
  assert.equal(natEndpoint(TABLE, '10.96.0.1', 6443), undefined);
  assert.equal(natEndpoint(TABLE, '10.88.0.1', 16443), undefined, 'reply from the same address: no NAT');
  assert.equal(natEndpoint('', '10.96.0.1', 443), undefined);
});

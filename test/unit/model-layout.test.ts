import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createdDevicesOf, devicesOf, layoutOf, nicsOf } from '../../src/model/layout.js';
import { vlanDeviceName } from '../../src/model/device-names.js';
import { canonicalize } from '../../src/plan/canonicalize.js';

const sorted = (s: Set<string>): string[] => [...s].sort();

// A southbound whose `<name>.<vlan>` exceeds IFNAMSIZ: the device is the hashed name, and every
// device list must say so (the observer's copy listed "enp0s31f6abcd.4000", which never exists).
const cfg = canonicalize({
  networks: {
    long: { nic: 'enp0s31f6abcd', vlan: 4000, bridged: false },
    br: { bonding: 'bond0', vlan: 10 },
    flat: { nic: 'eth2', bridged: false },
    nicless: {},
  },
  bondings: { bond0: { nics: ['eth1', 'eth0'] } },
});
const LONG_VLAN = vlanDeviceName('enp0s31f6abcd', 4000);

test('the hashed VLAN name is the one layoutOf creates', () => {
  assert.notEqual(LONG_VLAN, 'enp0s31f6abcd.4000');
  assert.ok(layoutOf(cfg).vlans.has(LONG_VLAN));
});

test('createdDevicesOf: bonds, bridges, VLAN devices (hashed names included)', () => {
  assert.deepEqual(sorted(createdDevicesOf(cfg)), ['bond0', 'bond0.10', 'br', 'nicless', LONG_VLAN].sort());
});

test('devicesOf: created devices plus the NICs and southbounds under them', () => {
  assert.deepEqual(sorted(devicesOf(cfg)), ['bond0', 'bond0.10', 'br', 'enp0s31f6abcd', 'eth0', 'eth1', 'eth2', 'nicless', LONG_VLAN].sort());
  for (const d of createdDevicesOf(cfg)) assert.ok(devicesOf(cfg).has(d), d);
  for (const d of nicsOf(cfg)) assert.ok(devicesOf(cfg).has(d), d);
  assert.deepEqual(sorted(devicesOf(canonicalize({}))), []);
});

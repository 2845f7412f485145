import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningConfig } from '../../src/api/config.js';
import type { SpecInput } from '../../src/api/spec.js';
import { canonicalize } from '../../src/plan/canonicalize.js';
import {
  PlanMismatchError, applyPlanToConfig, describeStep, invertPlan, plan, type Step,
} from '../../src/plan/plan.js';

const cfg = (spec: Pick<SpecInput, 'networks' | 'bondings'>): RunningConfig => canonicalize(spec);
const EMPTY: RunningConfig = { networks: {}, bondings: {} };

const SEED = cfg({
  networks: { net1: { bridged: true, bonding: 'bond1', bootproto: 'dhcp', defaultRoute: true } },
  bondings: { bond1: { options: 'mode=4 miimon=100', nics: ['eth1'] } },
});

/** Step kinds with their subject, the compact way to assert a plan's shape and order. */
function shape(p: Step[]): string[] {
  return p.map((s) => {
    const subject = 'network' in s ? s.network : 'bond' in s ? `${s.bond}${'nic' in s ? `/${s.nic}` : ''}` : 'nic' in s ? s.nic : s.device;
    const dir = 'to' in s && typeof s.to !== 'object' ? `:${String(s.to)}` : '';
    return `${s.kind} ${subject}${dir}`;
  });
}

function roundTrip(desired: RunningConfig, running: RunningConfig): Step[] {
  const p = plan(desired, running);
  assert.deepEqual(applyPlanToConfig(running, p), desired);
  assert.deepEqual(applyPlanToConfig(desired, invertPlan(p)), running);
  return p;
}

test('nothing to do', () => {
  assert.deepEqual(plan(EMPTY, EMPTY), []);
  assert.deepEqual(plan(SEED, structuredClone(SEED)), []);
});

test('the seed from scratch: bond first, then the network', () => {
  assert.deepEqual(shape(roundTrip(SEED, EMPTY)), ['addBond bond1', 'addNetwork net1']);
});

test('removing everything: networks first, then bonds', () => {
  assert.deepEqual(shape(roundTrip(EMPTY, SEED)), ['removeNetwork net1', 'removeBond bond1']);
});

test('unchanged networks produce no steps', () => {
  const running = cfg({ networks: { a: { nic: 'eth1' }, b: { nic: 'eth2', mtu: 9000 } } });
  const desired = cfg({ networks: { a: { nic: 'eth1' }, b: { nic: 'eth2', mtu: 9000 }, c: { nic: 'eth3' } } });
  assert.deepEqual(shape(roundTrip(desired, running)), ['addNetwork c']);
});

test('moving defaultRoute from one network to another is one plan: off, then on', () => {
  const running = cfg({ networks: { a: { nic: 'eth1', bootproto: 'dhcp', defaultRoute: true }, b: { nic: 'eth2', bootproto: 'dhcp' } } });
  const desired = cfg({ networks: { a: { nic: 'eth1', bootproto: 'dhcp' }, b: { nic: 'eth2', bootproto: 'dhcp', defaultRoute: true } } });
  const p = roundTrip(desired, running);
  assert.deepEqual(shape(p), ['setDefaultRoute a:false', 'setDefaultRoute b:true']);
  assert.deepEqual(p[1], {
    kind: 'setDefaultRoute', network: 'b', topology: { nic: 'eth2', bridged: true }, ipv4: { bootproto: 'dhcp' }, from: false, to: true,
  });
});

test('moving defaultRoute with nameservers: DNS cleared before, set after', () => {
  const running = cfg({ networks: { a: { nic: 'eth1', ipaddr: '10.0.0.5', prefix: 24, gateway: '10.0.0.1', defaultRoute: true, nameservers: ['10.0.0.53'] }, b: { nic: 'eth2', bootproto: 'dhcp' } } });
  const desired = cfg({ networks: { a: { nic: 'eth1', ipaddr: '10.0.0.5', prefix: 24, gateway: '10.0.0.1' }, b: { nic: 'eth2', bootproto: 'dhcp', defaultRoute: true, nameservers: ['10.1.0.53'] } } });
  assert.deepEqual(shape(roundTrip(desired, running)), ['setNameservers a', 'setDefaultRoute a:false', 'setDefaultRoute b:true', 'setNameservers b']);
});

test('changing the gateway of the default-route network keeps the route with it', () => {
  const running = cfg({ networks: { a: { nic: 'eth1', ipaddr: '10.0.0.5', prefix: 24, gateway: '10.0.0.1', defaultRoute: true } } });
  const desired = cfg({ networks: { a: { nic: 'eth1', ipaddr: '10.0.0.5', prefix: 24, gateway: '10.0.0.254', defaultRoute: true } } });
  const p = roundTrip(desired, running);
  assert.deepEqual(shape(p), ['setIpv4 a']);
  assert.equal(p[0]!.kind === 'setIpv4' && p[0].defaultRoute, true);
});

test('a topology change replaces the network', () => {
  const running = cfg({ networks: { a: { nic: 'eth1', vlan: 10, bootproto: 'dhcp' } } });
  for (const change of [{ vlan: 11 }, { nic: 'eth2' }, { bridged: false }, { vlan: undefined }]) {
    const desired = cfg({ networks: { a: { nic: 'eth1', vlan: 10, bootproto: 'dhcp', ...change } } });
    assert.deepEqual(shape(roundTrip(desired, running)), ['removeNetwork a', 'addNetwork a'], JSON.stringify(change));
  }
});

test('in-place changes: bridge, IPv4, IPv6, in that order', () => {
  const running = cfg({ networks: { a: { nic: 'eth1' } } });
  const desired = cfg({ networks: { a: { nic: 'eth1', stp: true, ipaddr: '10.0.0.5', prefix: 24, ipv6autoconf: true } } });
  assert.deepEqual(shape(roundTrip(desired, running)), ['setBridge a', 'setIpv4 a', 'setIpv6 a']);
});

test('MTU up: lower device first, untagged before VLAN networks', () => {
  const running = cfg({ networks: { a: { nic: 'eth1', bridged: false }, b: { nic: 'eth1', vlan: 10 } } });
  const desired = cfg({ networks: { a: { nic: 'eth1', bridged: false, mtu: 9000 }, b: { nic: 'eth1', vlan: 10, mtu: 9000 } } });
  assert.deepEqual(shape(roundTrip(desired, running)), ['setMtu eth1:9000', 'setNetworkMtu a:9000', 'setNetworkMtu b:9000']);
});

test('MTU down: VLAN networks first, lower device last', () => {
  const running = cfg({ networks: { a: { nic: 'eth1', bridged: false, mtu: 9000 }, b: { nic: 'eth1', vlan: 10, mtu: 9000 } } });
  const desired = cfg({ networks: { a: { nic: 'eth1', bridged: false }, b: { nic: 'eth1', vlan: 10 } } });
  assert.deepEqual(shape(roundTrip(desired, running)), ['setNetworkMtu b:1500', 'setNetworkMtu a:1500', 'setMtu eth1:1500']);
});

test('a southbound keeps the largest MTU of its networks, and 1500 when none is left', () => {
  const running = cfg({ networks: { a: { nic: 'eth1', vlan: 10, mtu: 9000 }, b: { nic: 'eth1', vlan: 11, mtu: 4000 } } });
  const desired = cfg({ networks: { b: { nic: 'eth1', vlan: 11, mtu: 4000 } } });
  const p = roundTrip(desired, running);
  assert.deepEqual(shape(p), ['removeNetwork a', 'setMtu eth1:4000']);
  assert.deepEqual(shape(roundTrip(EMPTY, desired)), ['removeNetwork b', 'setMtu eth1:1500']);
});

test('bond options without mode change: one step, slaves stay', () => {
  const running = cfg({ bondings: { bond1: { nics: ['eth1', 'eth2'], options: 'mode=4 miimon=100' } } });
  const desired = cfg({ bondings: { bond1: { nics: ['eth1', 'eth2'], options: 'mode=4 miimon=200 lacp_rate=fast' } } });
  const p = roundTrip(desired, running);
  // lacp_rate is BOND_OPTFLAG_IFDOWN: the kernel refuses it on an up bond.
  assert.deepEqual(p, [{ kind: 'setBondOptions', bond: 'bond1', from: 'miimon=100 mode=4', to: 'lacp_rate=1 miimon=200 mode=4', needsDown: true }]);
  const live = cfg({ bondings: { bond1: { nics: ['eth1', 'eth2'], options: 'mode=4 miimon=200' } } });
  assert.deepEqual(roundTrip(live, running), [{ kind: 'setBondOptions', bond: 'bond1', from: 'miimon=100 mode=4', to: 'miimon=200 mode=4', needsDown: false }]);
});

test('bond mode change: all slaves released, options set with the bond down, slaves back', () => {
  const running = cfg({ networks: { a: { bonding: 'bond1' } }, bondings: { bond1: { nics: ['eth1', 'eth2'], options: 'mode=1' } } });
  const desired = cfg({ networks: { a: { bonding: 'bond1' } }, bondings: { bond1: { nics: ['eth2', 'eth3'], options: 'mode=4' } } });
  const p = roundTrip(desired, running);
  assert.deepEqual(shape(p), ['release bond1/eth1', 'release bond1/eth2', 'setBondOptions bond1:mode=4', 'enslave bond1/eth2', 'enslave bond1/eth3']);
  assert.equal(p[2]!.kind === 'setBondOptions' && p[2].needsDown, true);
});

test('slaves: a NIC moves from one bond to another; hwaddr changes', () => {
  const running = cfg({ bondings: { bond1: { nics: ['eth1', 'eth2'] }, bond2: { nics: ['eth3'] } } });
  const desired = cfg({ bondings: { bond1: { nics: ['eth1'], hwaddr: '52:54:00:00:00:01' }, bond2: { nics: ['eth2', 'eth3'] } } });
  assert.deepEqual(shape(roundTrip(desired, running)), ['release bond1/eth2', 'setBondHwaddr bond1:52:54:00:00:00:01', 'enslave bond2/eth2']);
});

test('a NIC that carried a network becomes a bond slave: network removed before the bond takes it', () => {
  const running = cfg({ networks: { a: { nic: 'eth1', mtu: 9000 } } });
  const desired = cfg({ networks: { a: { bonding: 'bond1', mtu: 9000 } }, bondings: { bond1: { nics: ['eth1'] } } });
  assert.deepEqual(shape(roundTrip(desired, running)), ['removeNetwork a', 'setMtu eth1:1500', 'addBond bond1', 'setMtu bond1:9000', 'addNetwork a']);
});

test('networks and bonds the configs do not mention are never touched', () => {
  const running = cfg({ networks: { a: { bonding: 'bond9' } } });
  const desired = cfg({ networks: { a: { bonding: 'bond9', mtu: 9000 } } });
  const p = roundTrip(desired, running);
  assert.deepEqual(shape(p), ['setMtu bond9:9000', 'setNetworkMtu a:9000']);
});

test('invertPlan reverses and inverts; twice is the identity', () => {
  const running = cfg({ networks: { a: { nic: 'eth1', bootproto: 'dhcp', defaultRoute: true } }, bondings: { bond1: { nics: ['eth2'] } } });
  const desired = cfg({ networks: { b: { bonding: 'bond1', bootproto: 'dhcp', defaultRoute: true } }, bondings: { bond1: { nics: ['eth2', 'eth3'], options: 'mode=1' } } });
  const p = plan(desired, running);
  assert.deepEqual(invertPlan(invertPlan(p)), p);
  assert.deepEqual(shape(invertPlan(p)).slice(0, 1), [`${invertPlan(p)[0]!.kind} b`]);
});

test('the model refuses a step that does not match the config', () => {
  const p = plan(SEED, EMPTY);
  assert.throws(() => applyPlanToConfig(SEED, p), PlanMismatchError);
  assert.throws(() => applyPlanToConfig(EMPTY, [{ kind: 'setNetworkMtu', network: 'x', topology: { bridged: true }, from: 1500, to: 9000 }]), /network x does not exist/);
  assert.throws(() => applyPlanToConfig(SEED, [{ kind: 'setBondOptions', bond: 'bond1', from: 'mode=0', to: 'mode=1', needsDown: true }]), /options are "miimon=100 mode=4"/);
});

test('every step kind reads as one line', () => {
  const running = cfg({
    networks: { a: { nic: 'eth1', ipaddr: '10.0.0.5', prefix: 24, defaultRoute: true, nameservers: ['10.0.0.53'] }, b: { nic: 'eth2' }, d: { nic: 'eth5' } },
    bondings: { bond1: { nics: ['eth3'], options: 'mode=1' } },
  });
  const desired = cfg({
    networks: { a: { nic: 'eth1', bootproto: 'dhcp' }, b: { nic: 'eth2', mtu: 9000, stp: true, ipv6autoconf: true, defaultRoute: true, bootproto: 'dhcp' }, c: { bonding: 'bond2', vlan: 5 } },
    bondings: { bond2: { nics: ['eth3', 'eth4'], options: 'mode=4', hwaddr: '52:54:00:00:00:01' } },
  });
  const p = [...plan(desired, running), ...plan(cfg({ bondings: { bond2: { nics: ['eth4'], options: 'mode=1' } } }), cfg({ bondings: { bond2: { nics: ['eth3'], hwaddr: '52:54:00:00:00:02' } } }))];
  const kinds = new Set(p.map((s) => s.kind));
  for (const k of ['removeNetwork', 'addNetwork', 'setNetworkMtu', 'setBridge', 'setIpv4', 'setIpv6', 'setDefaultRoute', 'setNameservers', 'addBond', 'removeBond', 'setBondOptions', 'setBondHwaddr', 'enslave', 'release', 'setMtu']) {
    assert.ok(kinds.has(k as Step['kind']), `no ${k} step in ${shape(p).join(', ')}`);
  }
  for (const s of p) {
    const text = describeStep(s);
    assert.ok(text.length > 0 && !text.includes('\n') && !text.includes('undefined'), text);
  }
});

// The oVirt engine's Setup Host Networks rules (src/plan/validate.ts, "the oVirt engine's rules"):
// each valid and refused, the error at its field with the reason and the engine class it comes
// from; the policy path refuses the same; the planner's relation rules do not include them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalize } from '../../src/plan/canonicalize.js';
import { relationErrors, validate, type ValidationFacts } from '../../src/plan/validate.js';
import { BOND_MODE_NAMES } from '../../src/model/bond-options.js';
import { checkPolicySpec } from '../../src/fleet/validate.js';
import { fragmentErrors } from '../../src/fleet/render.js';

const HOST: ValidationFacts = { nics: ['eth1', 'eth2', 'eth3'], bonds: {} };
const errs = (spec: unknown) => validate(spec, { host: HOST });
const onBond = (options: string | undefined, net: Record<string, unknown> = {}) => ({
  networks: { vm1: { bonding: 'bond0', ...net } },
  bondings: { bond0: { nics: ['eth1', 'eth2'], ...(options === undefined ? {} : { options }) } },
});

test('bond mode: a bridged network on modes 1-4 is valid, by name and by number', () => {
  for (const m of [1, 2, 3, 4]) {
    assert.deepEqual(errs(onBond(`mode=${m} miimon=100`)), [], `mode=${m}`);
    assert.deepEqual(errs(onBond(`mode=${BOND_MODE_NAMES[m]} miimon=100`)), [], `mode=${BOND_MODE_NAMES[m]}`);
    assert.deepEqual(errs(onBond(`mode=${m}`, { vlan: 10 })), [], `VLAN on mode=${m}`);
  }
});

test('bond mode: a bridged network (untagged or VLAN, bridged by default) on modes 0, 5, 6 is refused at its bridged field', () => {
  for (const m of [0, 5, 6]) {
    for (const options of [`mode=${m}`, `mode=${BOND_MODE_NAMES[m]} miimon=100`]) {
      for (const net of [{}, { bridged: true }, { vlan: 10 }]) {
        const got = errs(onBond(options, net));
        assert.deepEqual(got.map((e) => e.path), ['spec.networks.vm1.bridged'], `${options} ${JSON.stringify(net)}`);
        const msg = got[0]!.message;
        assert.match(msg, new RegExp(`bond bond0 is in mode ${BOND_MODE_NAMES[m]} \\(${m}\\), which cannot carry a bridged`));
        assert.match(msg, /use bridged: false, or a bond mode of active-backup \(1\), balance-xor \(2\), broadcast \(3\), 802\.3ad \(4\)/);
        assert.match(msg, /oVirt engine: HostSetupNetworksValidator\.validateBondModeVsNetworksAttachedToIt, BondMode\.isBondModeValidForVmNetwork/);
      }
    }
  }
});

test('bond mode: options naming no mode (absent, empty, other options only) mean balance-rr, refused like the engine', () => {
  for (const options of [undefined, '', 'miimon=100']) {
    const got = errs(onBond(options));
    assert.deepEqual(got.map((e) => e.path), ['spec.networks.vm1.bridged'], String(options));
    assert.match(got[0]!.message, /bond bond0 names no mode, so it runs in balance-rr \(0\)/);
  }
});

test('bond mode: a bridgeless network may sit on any mode; an invalid mode is reported once, at the options', () => {
  for (const m of BOND_MODE_NAMES) assert.deepEqual(errs(onBond(`mode=${m}`, { bridged: false })), [], m);
  const got = errs(onBond('mode=9'));
  assert.deepEqual(got.map((e) => e.path), ['spec.bondings.bond0.options']);
});

test('MTU: a VLAN network differing from the untagged network on its device is refused (bridged untagged, NIC or bond)', () => {
  for (const southbound of [{ nic: 'eth3' }, { bonding: 'bond0' }]) {
    const spec = {
      networks: { u: { ...southbound, bridged: false, mtu: 9000 }, v: { ...southbound, vlan: 10, mtu: 1500 }, w: { ...southbound, vlan: 11, mtu: 9000 } },
      bondings: { bond0: { nics: ['eth1', 'eth2'], options: 'mode=1' } },
    };
    const got = errs(spec);
    assert.deepEqual(got.map((e) => e.path), ['spec.networks.v.mtu'], JSON.stringify(got));
    assert.match(got[0]!.message, /mtu 1500 differs from 9000, the mtu of untagged network u on eth3|bond0/);
    assert.match(got[0]!.message, /oVirt engine: NetworkMtuValidator\.validateMtu/);
  }
  // A bridged untagged network at the default MTU and a bigger VLAN: kernel-valid, the engine refuses it.
  const big = errs({ networks: { u: { nic: 'eth3' }, v: { nic: 'eth3', vlan: 10, mtu: 9000 } } });
  assert.deepEqual(big.map((e) => e.path), ['spec.networks.v.mtu']);
  assert.match(big[0]!.message, /mtu 9000 differs from 1500, the mtu of untagged network u on eth3/);
});

test('MTU: the same MTU (given or default) is valid; VLANs without an untagged network may differ', () => {
  assert.deepEqual(errs({ networks: { u: { nic: 'eth3' }, v: { nic: 'eth3', vlan: 10, mtu: 1500 } } }), []);
  assert.deepEqual(errs({ networks: { v: { nic: 'eth3', vlan: 10, mtu: 1500 }, w: { nic: 'eth3', vlan: 11, mtu: 9000 } } }), []);
  // A VLAN above a bridgeless untagged network's MTU: only the kernel's reason, once.
  const got = errs({ networks: { u: { nic: 'eth3', bridged: false }, v: { nic: 'eth3', vlan: 10, mtu: 9000 } } });
  assert.deepEqual(got.map((e) => e.path), ['spec.networks.v.mtu']);
  assert.match(got[0]!.message, /a VLAN cannot exceed its lower device/);
});

test('untagged exclusiveness names its engine source', () => {
  const got = errs({ networks: { a: { nic: 'eth3' }, b: { nic: 'eth3', bridged: false } } });
  assert.deepEqual(got.map((e) => e.path), ['spec.networks.b.nic']);
  assert.match(got[0]!.message, /at most one untagged network \(oVirt engine: NetworkAttachmentsValidator\.validateNetworkExclusiveOnNics\)/);
});

test('the planner\'s relation rules (every intermediate state of a plan) leave the engine\'s rules out', () => {
  const config = canonicalize({
    networks: { vm1: { bonding: 'bond0' }, u: { nic: 'eth3' }, v: { nic: 'eth3', vlan: 10, mtu: 9000 } },
    bondings: { bond0: { nics: ['eth1', 'eth2'] } },
  });
  assert.deepEqual(relationErrors(config, { host: HOST }), []);
  assert.equal(validate({ networks: { vm1: { bonding: 'bond0' }, u: { nic: 'eth3' }, v: { nic: 'eth3', vlan: 10, mtu: 9000 } }, bondings: { bond0: { nics: ['eth1', 'eth2'] } } }, { host: HOST }).length, 2);
});

test('policy: a bridged network on a mode-0/5/6 or modeless policy bond is refused for the whole policy, at its field', () => {
  for (const options of [undefined, 'mode=balance-rr', 'mode=5', 'mode=balance-alb miimon=100']) {
    const r = checkPolicySpec({ networks: { vm1: { bonding: 'bond0' } }, bondings: { bond0: { nics: ['eth1', 'eth2'], ...(options === undefined ? {} : { options }) } } });
    assert.equal(r.ok, false, String(options));
    if (r.ok) continue;
    assert.deepEqual(r.errors.map((e) => e.path), ['spec.networks.vm1.bridged']);
    assert.match(r.errors[0]!.message, /cannot carry a bridged \(VM\) network.*BondMode\.isBondModeValidForVmNetwork/);
  }
  for (const spec of [
    { networks: { vm1: { bonding: 'bond0' } }, bondings: { bond0: { nicsFromNodeAnnotation: 'ovirt.org/bond-nics', options: 'mode=802.3ad' } } },
    { networks: { vm1: { bonding: 'bond0', bridged: false } }, bondings: { bond0: { nics: ['eth1', 'eth2'] } } },
  ])
    assert.equal(checkPolicySpec(spec).ok, true, JSON.stringify(spec));
});

test('policy: a rendered node spec breaking an engine rule is refused with the field and reason, no throw', () => {
  const fragment = {
    networks: { u: { nic: 'eth3' }, v: { nic: 'eth3', vlan: 10, mtu: 9000 }, vm1: { bonding: 'bond0' } },
    bondings: { bond0: { nics: ['eth1', 'eth2'], options: 'mode=6' } },
  };
  const got = fragmentErrors(fragment, undefined);
  assert.equal(got.length, 2, JSON.stringify(got));
  assert.match(got.find((e) => e.startsWith('spec.networks.v.mtu: '))!, /NetworkMtuValidator/);
  assert.match(got.find((e) => e.startsWith('spec.networks.vm1.bridged: '))!, /balance-alb \(6\)/);
});

test('bond mode: a bridged network on a bond of the node (not in the spec) is judged by the mode the node reports', () => {
  const host = (mode: number): ValidationFacts => ({ nics: ['eth1', 'eth2', 'eth3'], bonds: { bond9: ['eth1', 'eth2'] }, bondModes: { bond9: mode } });
  for (const m of [0, 5, 6]) {
    const got = validate({ networks: { vm1: { bonding: 'bond9', vlan: 10 } } }, { host: host(m) });
    assert.deepEqual(got.map((e) => e.path), ['spec.networks.vm1.bridged'], `mode ${m}`);
    assert.match(got[0]!.message, new RegExp(`bond bond9 \\(of the node\\) is in mode ${BOND_MODE_NAMES[m]} \\(${m}\\).*BondMode`));
  }
  for (const m of [1, 2, 3, 4]) assert.deepEqual(validate({ networks: { vm1: { bonding: 'bond9' } } }, { host: host(m) }), [], `mode ${m}`);
  assert.deepEqual(validate({ networks: { vm1: { bonding: 'bond9', bridged: false } } }, { host: host(0) }), []);
  // Unknown mode (older facts): not judged.
  assert.deepEqual(validate({ networks: { vm1: { bonding: 'bond9' } } }, { host: { nics: ['eth1', 'eth2'], bonds: { bond9: ['eth1', 'eth2'] } } }), []);
});

test('policy: a rendered network on a node\'s reported mode-0 bond is refused there', () => {
  const onn = { spec: {}, status: { capabilities: { nics: { eth1: {}, eth2: {} }, bondings: { bond9: { slaves: ['eth1', 'eth2'], opts: { mode: '0' } } } } } };
  const got = fragmentErrors({ networks: { vm1: { bonding: 'bond9' } }, bondings: {} }, onn as unknown as Parameters<typeof fragmentErrors>[1]);
  assert.equal(got.length, 1, JSON.stringify(got));
  assert.match(got[0]!, /^spec\.networks\.vm1\.bridged: bond bond9 \(of the node\) is in mode balance-rr \(0\)/);
  onn.status.capabilities.bondings.bond9.opts.mode = '1';
  assert.deepEqual(fragmentErrors({ networks: { vm1: { bonding: 'bond9' } }, bondings: {} }, onn as unknown as Parameters<typeof fragmentErrors>[1]), []);
});

// The pure parts of the fuzzed-specs experiment (reliability/fuzz/): spec generation, the
// field-path check of rejections, DHCP removal, and the host view that snapshots are compared in.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  fieldPathProblem, generateTrials, hostView, impliedDevices, judged, NICS, parseFieldPath, usesDhcp, withoutDhcp, type Dumps,
} from '../../reliability/fuzz/index.js';
import { checkSpec, joinPath, type ValidationFacts } from '../../src/plan/validate.js';

const HOST: ValidationFacts = { nics: [...NICS, ...NICS.map((_, i) => `peer${i}`)], bonds: {}, nameservers: ['10.252.0.53'] };

test('trials are the same for the same seed, plain JSON, and of every kind', () => {
  const a = generateTrials(300, 11);
  assert.deepEqual(generateTrials(300, 11), a);
  assert.notDeepEqual(generateTrials(300, 12), a);
  for (const t of a) assert.deepEqual(JSON.parse(JSON.stringify(t.spec)), t.spec);
  const kinds = new Set(a.map((t) => t.kind));
  assert.deepEqual([...kinds].sort(), ['mutated', 'random', 'valid']);
});

test('valid trials pass validation on the fuzz namespace; the others are mostly rejected', () => {
  const trials = generateTrials(400, 3);
  let rejected = 0;
  for (const t of trials) {
    const r = checkSpec(t.spec, { host: HOST });
    if (t.kind === 'valid') assert.ok(r.ok, `${JSON.stringify(t.spec)}: ${r.ok ? '' : JSON.stringify(r.errors)}`);
    else if (!r.ok) rejected++;
  }
  const others = trials.filter((t) => t.kind !== 'valid').length;
  assert.ok(rejected > others / 2, `${rejected} of ${others} rejected`);
});

test('field paths parse in joinPath\'s syntax and must lead into the spec', () => {
  const odd = 'a.b "c"';
  assert.deepEqual(parseFieldPath(joinPath(joinPath(joinPath('spec.networks', odd), 'nameservers'), 2)), ['spec', 'networks', odd, 'nameservers', 2]);
  assert.deepEqual(parseFieldPath('spec.bondings.bond_1.nics[0]'), ['spec', 'bondings', 'bond_1', 'nics', 0]);
  assert.equal(parseFieldPath('spec..x'), undefined);
  assert.equal(parseFieldPath('spec["x'), undefined);
  const spec = { networks: { [odd]: { nameservers: ['x', 'y', 'z'] }, n1: { vlan: 5000 } } };
  assert.equal(fieldPathProblem('spec', 'not an object'), undefined);
  assert.equal(fieldPathProblem('spec.networks.n1.vlan', spec), undefined);
  assert.equal(fieldPathProblem('spec.networks.n1.nic', spec), undefined, 'a field of an entry that exists');
  assert.equal(fieldPathProblem(joinPath(joinPath(joinPath('spec.networks', odd), 'nameservers'), 2), spec), undefined);
  assert.match(fieldPathProblem('spec.networks.n2.vlan', spec) ?? '', /"n2" is not in the spec/);
  assert.match(fieldPathProblem('networks.n1', spec) ?? '', /does not start at spec/);
  assert.match(fieldPathProblem('', spec) ?? '', /not a field path/);
});

test('DHCP is turned off only where it was asked for', () => {
  const spec = { networks: { a: { bootproto: 'dhcp', dhcpv6: true, ipv6autoconf: true }, b: { bootproto: 'none' } } };
  assert.deepEqual(withoutDhcp(spec), { networks: { a: { ipv6autoconf: true }, b: { bootproto: 'none' } } });
  const r = checkSpec(spec, { host: HOST });
  assert.ok(r.ok && usesDhcp(r.config));
  const s = checkSpec(withoutDhcp(spec), { host: HOST });
  assert.ok(s.ok && !usesDhcp(s.config));
});

test('implied devices: bridges, VLAN devices, bonds', () => {
  const r = checkSpec({ networks: { a: { nic: 'eth0' }, b: { nic: 'eth1', bridged: false, vlan: 7 }, c: { bonding: 'bond0', bridged: false } }, bondings: { bond0: { nics: ['eth2'] } } }, { host: HOST });
  assert.ok(r.ok);
  assert.deepEqual([...impliedDevices(r.config)].sort(), ['a', 'bond0', 'eth1.7']);
});

test('the host view ignores counters, carrier, DAD, link-local addresses and the local table', () => {
  const dumps = (carrier: boolean, tentative: boolean): Dumps => ({
    links: [{
      ifname: 'br0', ifindex: carrier ? 5 : 6, flags: ['BROADCAST', 'UP', ...(carrier ? ['LOWER_UP'] : ['NO-CARRIER'])], mtu: 1500,
      operstate: carrier ? 'UP' : 'DOWN', address: '02:00:00:00:00:01',
      linkinfo: { info_kind: 'bridge', info_data: { stp_state: 0, gc_timer: carrier ? 1.5 : 7, forward_delay: 1500 } },
    }],
    addrs: [{
      ifname: 'br0',
      addr_info: [
        { family: 'inet6', local: 'fd00::2', prefixlen: 64, scope: 'global', ...(tentative ? { tentative: true } : {}) },
        ...(carrier ? [{ family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' }] : []),
      ],
    }],
    routes: [
      { dst: 'fd00::/64', dev: 'br0', protocol: 'kernel', metric: 256, flags: carrier ? [] : ['linkdown'] },
      ...(carrier ? [{ dst: 'fe80::/64', dev: 'br0', protocol: 'kernel' }, { type: 'local', dst: 'fd00::2', dev: 'br0', table: 'local' }] : []),
    ],
    rules: [{ priority: 0, src: 'all', table: 'local' }],
    sysctl: { br0: { accept_ra: '0', autoconf: '0', disable_ipv6: '0' } },
    resolv: 'nameserver 10.252.0.53\n',
  });
  assert.deepEqual(hostView(dumps(true, false)), hostView(dumps(false, true)));
  const changed = dumps(true, false);
  changed.links[0]!.mtu = 1400;
  assert.notDeepEqual(hostView(changed), hostView(dumps(true, false)));
  // A portless bridge's MAC only counts in the strict view.
  const mac = dumps(true, false);
  mac.links[0]!.address = '02:00:00:00:00:02';
  assert.notDeepEqual(hostView(mac), hostView(dumps(true, false)));
  assert.deepEqual(hostView(mac, true), hostView(dumps(true, false), true));
});

test('the oracle apart from validation: a valid-built spec refused, or a failure not explained by missing modules, is lost', () => {
  const base = { i: 1, problems: [], ms: 1 };
  const lost = (kind: 'valid' | 'mutated' | 'random', r: Parameters<typeof judged>[1]) => judged({ kind }, r).outcome === 'lost';
  assert.equal(lost('valid', { ...base, outcome: 'rejected', message: 'x' }), true);
  assert.equal(lost('mutated', { ...base, outcome: 'rejected', message: 'x' }), false);
  assert.equal(lost('random', { ...base, outcome: 'failed', reason: 'SetupFailed', message: 'No route to host' }), true);
  assert.equal(lost('valid', { ...base, outcome: 'failed', reason: 'SetupFailed', message: 'no bonding', needsModules: true }), false);
  assert.equal(lost('valid', { ...base, outcome: 'applied' }), false);
  const j = judged({ kind: 'random' }, { ...base, outcome: 'failed', reason: 'SetupFailed', message: 'No route to host' });
  assert.match(j.problems.join(), /validation accepted a spec the kernel refused \(SetupFailed\): No route to host/);
});

// The LLDP parser (src/observe/lldp.ts): lldpcli's json0 output, real captures and hostile
// variants (a switch chooses every string in it), to VDSM's Host.getLldp shape.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LLDP_STRING_MAX, LLDP_TLVS_MAX, LldpSchema } from '../../src/api/status.js';
import {
  LLDP_NEIGHBORS_MAX,
  LLDP_VLANS_MAX,
  lldpNeighbor,
  LldpParseError,
  lldpProperty,
  parseLldpNeighbors,
} from '../../src/observe/lldp.js';
import { lldpdArgs, lldpdPaths, lldpNics } from '../../src/model/lldpd.js';
import { lldpdArgv } from '../../src/apply/lldpd.js';
import { printableText } from '../../src/api/names.js';

// dist/test/unit -> test/fixtures/lldp
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'lldp');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
const on = (...nics: string[]) => new Set(nics);

/** One interface entry wrapped as lldpcli prints it. */
const doc = (...interfaces: unknown[]) => JSON.stringify({ lldp: [{ interface: interfaces }] });
const neighbor = (name: string, sysName = 'sw', extra: Record<string, unknown> = {}) => ({
  name,
  via: 'LLDP',
  chassis: [{ id: [{ type: 'mac', value: '00:11:22:33:44:55' }], name: [{ value: sysName }] }],
  port: [{ id: [{ type: 'ifname', value: 'p1' }], descr: [{ value: 'port one' }] }],
  ...extra,
});

describe('parseLldpNeighbors on captured lldpcli output', () => {
  it("reads the lab switch's announcement in VDSM's names and keys", () => {
    const l = parseLldpNeighbors(fixture('lab-switch.json0'), ['eth1', 'eth2'], on('eth1', 'eth2'));
    assert.deepEqual(Object.keys(l), ['eth1', 'eth2']);
    assert.equal(l.eth1!.enabled, true);
    assert.deepEqual(l.eth1!.tlvs.slice(0, 5), [
      { type: 1, name: 'Chassis ID', properties: { 'chassis ID subtype': 'MAC', 'chassis ID': 'ea:fb:20:bf:a0:64' } },
      { type: 2, name: 'Port ID', properties: { 'port ID subtype': 'Ifname', 'port ID': 'sw1' } },
      { type: 3, name: 'Time to Live', properties: { 'time to live': '4' } },
      { type: 4, name: 'Port Description', properties: { 'port description': 'ns-node-1 eth1' } },
      { type: 5, name: 'System Name', properties: { 'system name': 'lab-switch' } },
    ]);
    assert.deepEqual(l.eth1!.tlvs.find((t) => t.type === 7)?.properties, {
      'system capabilities': 'Bridge, Router, Wlan, Station',
      'enabled capabilities': 'Bridge',
    });
    assert.equal(lldpProperty(l.eth1, 'Management Address', 'management address subtype'), 'IPv6');
    // Listened on, nothing heard.
    assert.deepEqual(l.eth2, { enabled: true, tlvs: [] });
    assert.deepEqual(lldpNeighbor(l.eth1), { switch: 'lab-switch', port: 'ns-node-1 eth1' });
    assert.equal(LldpSchema.safeParse(l).success, true);
  });

  it('maps port VLAN ID, VLAN names, link aggregation and maximum frame size as VDSM does', () => {
    const l = parseLldpNeighbors(fixture('dot1-dot3.json0'), ['eth2'], on('eth2'));
    const org = l.eth2!.tlvs.filter((t) => t.type === 127);
    assert.deepEqual(org, [
      {
        type: 127,
        oui: 0x0080c2,
        subtype: 7,
        name: 'Link Aggregation',
        properties: { 'Aggregation capable': 'True', 'Currently aggregated': 'True', 'Aggregated Port ID': '1000012' },
      },
      { type: 127, oui: 0x00120f, subtype: 4, name: 'MTU', properties: { mtu: '9236' } },
      { type: 127, oui: 0x0080c2, subtype: 1, name: 'Port VLAN ID', properties: { 'Port VLAN ID': '100' } },
      { type: 127, oui: 0x0080c2, subtype: 3, name: 'VLAN Name', properties: { 'VLAN ID': '100', 'VLAN Name': 'ovirtmgmt' } },
      { type: 127, oui: 0x0080c2, subtype: 3, name: 'VLAN Name', properties: { 'VLAN ID': '200', 'VLAN Name': 'storage' } },
    ]);
    assert.equal(LldpSchema.safeParse(l).success, true);
  });

  it('keeps hostile text as data, cut at the bound, and the display escapes it', () => {
    const l = parseLldpNeighbors(fixture('hostile-switch.json0'), ['eth1'], on('eth1'));
    const name = lldpProperty(l.eth1, 'System Name', 'system name')!;
    assert.match(name, /\u001b/);
    assert.equal(printableText(name).includes('\u001b'), false);
    assert.equal(printableText(name).includes('\u202e'), false);
    assert.equal(lldpProperty(l.eth1, 'Port Description', 'port description'), '__proto__\tconstructor');
    assert.equal(lldpProperty(l.eth1, 'System Description', 'system description')!.length, LLDP_STRING_MAX);
  });

  it('reports NICs it does not listen on as disabled, whatever the output says', () => {
    const l = parseLldpNeighbors(fixture('lab-switch.json0'), ['eth1'], on());
    assert.deepEqual(l, { eth1: { enabled: false, tlvs: [] } });
  });

  it('reads output without neighbors (lldpcli prints an empty object)', () => {
    const text = '{\n  "lldp": [\n    {\n      \n    }\n  ]\n}\n';
    assert.deepEqual(parseLldpNeighbors(text, ['eth0'], on('eth0')), { eth0: { enabled: true, tlvs: [] } });
  });
});

describe('parseLldpNeighbors on hostile input', () => {
  it('takes every built-in property name as an interface name, a key or a value without reading a prototype', () => {
    for (const key of Object.getOwnPropertyNames(Object.prototype)) {
      // As an interface name lldpd did not listen on: ignored; as one it did: an entry of its own.
      const l = parseLldpNeighbors(doc(neighbor(key, key)), [key, 'eth0'], on(key, 'eth0'));
      assert.equal(Object.hasOwn(l, key), true, key);
      assert.equal(lldpProperty(l[key], 'System Name', 'system name'), key);
      assert.deepEqual(l.eth0, { enabled: true, tlvs: [] });
      // As a key of an object the parser reads: inherited names are never taken for fields.
      const entry = { name: 'eth0', chassis: [{ [key]: [{ value: 'x' }] }] };
      const m = parseLldpNeighbors(doc(entry), ['eth0'], on('eth0'));
      assert.deepEqual(m.eth0!.tlvs, [], key);
    }
    // "__proto__" as a JSON key is an own property after JSON.parse; it is no field of lldpcli's.
    const p = parseLldpNeighbors('{"lldp":[{"interface":[{"name":"eth0","__proto__":{"chassis":1}}]}]}', ['eth0'], on('eth0'));
    assert.deepEqual(p.eth0!.tlvs, []);
    assert.equal(({} as Record<string, unknown>).chassis, undefined);
  });

  it('bounds what it keeps: neighbors, VLANs, TLVs, string lengths', () => {
    const many = Array.from({ length: 5000 }, (_, i) => ({ 'vlan-id': String(i), value: `v${i}` }));
    const huge = 'x'.repeat(100_000);
    const entries = Array.from({ length: 100 }, (_, i) => neighbor('eth0', `${huge}${i}`, { vlan: many }));
    const l = parseLldpNeighbors(doc(...entries), ['eth0'], on('eth0'));
    const tlvs = l.eth0!.tlvs;
    assert.ok(tlvs.length <= LLDP_TLVS_MAX);
    assert.equal(tlvs.filter((t) => t.name === 'VLAN Name').length, LLDP_VLANS_MAX);
    for (const t of tlvs) for (const v of Object.values(t.properties)) assert.ok(v.length <= LLDP_STRING_MAX);
    // The first neighbor is the one reported.
    assert.equal(lldpProperty(l.eth0, 'System Name', 'system name'), huge.slice(0, LLDP_STRING_MAX));
    assert.ok(LLDP_NEIGHBORS_MAX >= 1);
    assert.equal(LldpSchema.safeParse(l).success, true);
  });

  it('never splits a surrogate pair when it cuts', () => {
    const name = 'a' + '😀'.repeat(LLDP_STRING_MAX);
    const l = parseLldpNeighbors(doc(neighbor('eth0', name)), ['eth0'], on('eth0'));
    const got = lldpProperty(l.eth0, 'System Name', 'system name')!;
    assert.equal(Array.from(got).length, LLDP_STRING_MAX);
    assert.equal(/[\ud800-\udbff](?![\udc00-\udfff])/.test(got), false);
  });

  it('refuses a wrong shape, naming where', () => {
    const cases: [string, RegExp][] = [
      ['not json', /\(document\): not JSON/],
      ['[]', /\(document\): not an object/],
      ['{"lldp": {}}', /\.lldp: not a list/],
      ['{"lldp": [1]}', /\.lldp\[0\]: not an object/],
      [doc({ via: 'LLDP' }), /lldp\[0\]\.interface\[0\]\.name: missing/],
      [doc({ name: 7 }), /interface\[0\]\.name: not a string/],
      [doc(neighbor('eth0', 'sw', { chassis: [{ name: [{ value: 5 }] }] })), /chassis\[0\]\.name\[0\]\.value: not a string/],
      [doc(neighbor('eth0', 'sw', { vlan: [{ 'vlan-id': '1', pvid: 'yes' }] })), /vlan\[0\]\.pvid: not a boolean/],
    ];
    for (const [text, re] of cases) {
      assert.throws(() => parseLldpNeighbors(text, ['eth0'], on('eth0')), (e: unknown) => e instanceof LldpParseError && re.test(e.message), text);
    }
  });
});

describe("lldpd's command line", () => {
  const p = lldpdPaths('/var/lib/x');

  it('is receive-only by default, private socket, no host configuration, NICs listed exactly', () => {
    assert.deepEqual(lldpdArgs({ nics: ['eth0', 'eth1'], transmit: false }, p), [
      'lldpd', '-d', '-d', '-r', '-u', p.socket, '-p', '/var/lib/x/lldp/lldpd.daemon.pid', '-L', '', '-I', 'eth0,eth1',
    ]);
    assert.equal(lldpdArgs({ nics: ['eth0'], transmit: true }, p).includes('-r'), false);
    // The wrapper passes them as arguments ("$@"), never as shell text.
    const argv = lldpdArgv({ nics: ['eth0'], transmit: false }, p);
    assert.deepEqual(argv.slice(0, 2), ['sh', '-c']);
    assert.equal(argv[2]!.includes('eth0'), false);
    assert.ok(p.socket.length < 108, 'a socket path fits sockaddr_un');
    assert.notEqual(lldpdPaths('/var/lib/y').socket, p.socket);
  });

  it('lists only names that cannot be lldpd patterns (every byte tried)', () => {
    for (let c = 0; c < 256; c++) {
      const ch = String.fromCharCode(c);
      const name = `e${ch}1`;
      const kept = lldpNics([name]).length === 1;
      assert.equal(kept, /^[A-Za-z0-9_-]$/.test(ch), JSON.stringify(name));
      if (!kept) assert.throws(() => lldpdArgs({ nics: [name], transmit: false }, p), /cannot be an lldpd pattern/);
    }
    assert.deepEqual(lldpNics(['eth1', 'eth0', 'eth1', 'a,b', '*', '!eth0']), ['eth0', 'eth1']);
  });
});

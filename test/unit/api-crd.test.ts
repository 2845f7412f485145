import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { OvirtNodeNetworkSchema, StatusSchema } from '../../src/api/index.js';
import { buildCrd, crdYaml } from '../../src/api/crd.js';

/** From dist/test/unit (compiled) to the repository root. */
const CRD_FILE = fileURLToPath(new URL('../../../deploy/crd.yaml', import.meta.url));

type Node = Record<string, unknown>;

function schemaOf(): Node {
  const crd = buildCrd() as { spec: { versions: { schema: { openAPIV3Schema: Node } }[] } };
  return crd.spec.versions[0]!.schema.openAPIV3Schema;
}

/** Every schema node with its path, below the root. */
function* nodes(n: Node, path: string): Generator<[string, Node]> {
  yield [path, n];
  const props = n.properties as Record<string, Node> | undefined;
  for (const [k, v] of Object.entries(props ?? {})) yield* nodes(v, `${path}.${k}`);
  if (typeof n.additionalProperties === 'object') yield* nodes(n.additionalProperties as Node, `${path}.*`);
  if (n.items) yield* nodes(n.items as Node, `${path}[]`);
}

test('deploy/crd.yaml is what the generator produces (run `npm run gen:crd`)', async () => {
  assert.equal(await readFile(CRD_FILE, 'utf8'), crdYaml());
});

test('the generated YAML parses back to the CRD object', () => {
  assert.deepEqual(parse(crdYaml()), buildCrd());
});

test('the CRD names, scope, version and subresources', () => {
  const crd = buildCrd() as { metadata: Node; spec: { group: string; scope: string; names: Node; versions: Node[] } };
  assert.equal(crd.metadata.name, 'ovirtnodenetworks.ovirt.org');
  assert.equal(crd.spec.group, 'ovirt.org');
  assert.equal(crd.spec.scope, 'Cluster');
  assert.deepEqual(crd.spec.names, { kind: 'OvirtNodeNetwork', listKind: 'OvirtNodeNetworkList', plural: 'ovirtnodenetworks', singular: 'ovirtnodenetwork', shortNames: ['onn'] });
  const v = crd.spec.versions[0]!;
  assert.equal(v.name, 'v1alpha1');
  assert.equal(v.served, true);
  assert.equal(v.storage, true);
  assert.deepEqual(v.subresources, { status: {} });
  assert.ok((v.additionalPrinterColumns as Node[]).some((c) => c.name === 'Available'));
  assert.ok((v.additionalPrinterColumns as Node[]).some((c) => c.name === 'Age' && c.type === 'date'));
});

test('the schema is structural and explained: a type and a description everywhere', () => {
  for (const [path, n] of nodes(schemaOf(), 'root')) {
    assert.equal(typeof n.type, 'string', `${path}: no type`);
    if (path !== 'root.metadata') assert.ok(typeof n.description === 'string' && n.description.length > 0, `${path}: no description`);
    for (const k of ['anyOf', 'oneOf', 'allOf', 'not', '$ref', 'default', 'propertyNames', 'x-kubernetes-preserve-unknown-fields']) {
      assert.ok(!(k in n), `${path}: has ${k}`);
    }
    assert.notEqual(n.additionalProperties, false, `${path}: additionalProperties false`);
    assert.ok(!(n.properties && n.additionalProperties), `${path}: both properties and additionalProperties`);
  }
});

test('rules the schema can express are in it', () => {
  const all = new Map(nodes(schemaOf(), 'root'));
  const net = 'root.spec.networks.*';
  assert.deepEqual([all.get(`${net}.vlan`)!.minimum, all.get(`${net}.vlan`)!.maximum], [0, 4094]);
  assert.deepEqual(all.get(`${net}.bootproto`)!.enum, ['dhcp', 'none']);
  assert.deepEqual([all.get(`${net}.mtu`)!.minimum, all.get(`${net}.mtu`)!.maximum], [1280, 65535]);
  const rules = (all.get(net)!['x-kubernetes-validations'] as { rule: string }[]).map((r) => r.rule);
  assert.ok(rules.some((r) => r.includes('has(self.nic) && has(self.bonding)')));
  assert.ok(rules.some((r) => r.includes('has(self.prefix) && has(self.netmask)')));
  const mapRules = (all.get('root.spec.networks')!['x-kubernetes-validations'] as { rule: string }[]).map((r) => r.rule);
  assert.ok(mapRules.some((r) => r.includes('defaultRoute')));
  assert.equal(all.get('root.spec.bondings.*.nics')!['x-kubernetes-list-type'], 'set');
  assert.equal(all.get('root.status.conditions')!['x-kubernetes-list-type'], 'map');
});

test('the seed object and a full status parse', () => {
  const obj = OvirtNodeNetworkSchema.parse({
    apiVersion: 'ovirt.org/v1alpha1',
    kind: 'OvirtNodeNetwork',
    metadata: { name: 'minishift' },
    spec: {
      networks: { net1: { bridged: true, bonding: 'bond1', bootproto: 'dhcp', defaultRoute: true } },
      bondings: { bond1: { options: 'mode=4 miimon=100', nics: ['eth1'] } },
    },
  });
  assert.equal(obj.spec.connectivityCheck.timeoutSeconds, 60);
  const dev = { addr: '', netmask: '', ipv4addrs: [], ipv6addrs: [], gateway: '', ipv6gateway: '::', ipv4defaultroute: false, dhcpv4: false, dhcpv6: false, ipv6autoconf: false, mtu: '1500' };
  StatusSchema.parse({
    observedGeneration: 2,
    capabilities: {
      nics: { eth1: { ...dev, hwaddr: '52:54:00:2d:2b:d7', speed: 100, permhwaddr: '52:54:00:2d:2b:d7' } },
      bondings: { bond1: { ...dev, hwaddr: '52:54:00:2d:2b:d7', slaves: ['eth1'], active_slave: '', opts: { miimon: '100', mode: '4' }, speed: 100, switch: 'legacy' } },
      bridges: { net1: { ...dev, ports: ['bond1'], stp: 'off', opts: { forward_delay: '0' } } },
      vlans: {},
      networks: { net1: { ...dev, iface: 'net1', bridged: true, switch: 'legacy', ports: ['bond1'], stp: 'off' } },
      nameservers: ['192.168.122.1'],
      supportsIPv6: true,
    },
    statistics: { eth1: { name: 'eth1', rx: '18446744073709551615', tx: '0', rxDropped: '0', txDropped: '0', rxErrors: '0', txErrors: '0', rxRate: 12.5, txRate: 0, speed: '100', state: 'up', sampleTime: 1497611300.5 } },
    kernelConfig: { networks: {}, bondings: {} },
    infoStatus: { Success: { reason: '', message: '' } },
    setupStatus: { Failed: { reason: 'ConnectivityLost', message: 'API server unreachable after the apply' } },
    conditions: [{ type: 'Available', status: 'False', reason: 'ConnectivityLost', message: '', observedGeneration: 2, lastTransitionTime: '2026-01-01T00:00:00Z' }],
  });
});

// The OvirtNetworkPolicy CRD: generated from zod like the node CRD, committed as
// deploy/crd-policy.yaml; the schema reuses the node spec's network and bond schemas.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { buildPolicyCrd, policyCrdYaml } from '../../src/api/crd.js';
import { PolicySpecSchema, PolicyStatusSchema } from '../../src/api/policy.js';
import { NetworkSpecSchema } from '../../src/api/spec.js';
import { PROJECT_ROOT } from '../../lab/src/config.js';

type Node = Record<string, unknown>;

function version(): Node {
  return (buildPolicyCrd() as { spec: { versions: Node[] } }).spec.versions[0]!;
}
function root(): Node {
  return (version().schema as { openAPIV3Schema: Node }).openAPIV3Schema;
}
function* nodes(n: Node, path: string): Generator<[string, Node]> {
  yield [path, n];
  for (const [k, v] of Object.entries((n.properties as Record<string, Node> | undefined) ?? {})) yield* nodes(v, `${path}.${k}`);
  if (typeof n.additionalProperties === 'object') yield* nodes(n.additionalProperties as Node, `${path}.*`);
  if (n.items) yield* nodes(n.items as Node, `${path}[]`);
}

describe('the OvirtNetworkPolicy CRD', () => {
  it('deploy/crd-policy.yaml is what the generator produces (run `npm run gen:crd`), read as YAML 1.1 too', async () => {
    const text = await readFile(join(PROJECT_ROOT, 'deploy', 'crd-policy.yaml'), 'utf8');
    assert.equal(text, policyCrdYaml());
    assert.deepEqual(parse(text, { version: '1.1' }), JSON.parse(JSON.stringify(buildPolicyCrd())));
  });

  it('names, scope, subresource and printer columns', () => {
    const crd = buildPolicyCrd() as { metadata: Node; spec: { scope: string; group: string; names: Node } };
    assert.equal(crd.metadata.name, 'ovirtnetworkpolicies.ovirt.org');
    assert.equal(crd.spec.group, 'ovirt.org');
    assert.equal(crd.spec.scope, 'Cluster');
    assert.deepEqual(crd.spec.names, { kind: 'OvirtNetworkPolicy', listKind: 'OvirtNetworkPolicyList', plural: 'ovirtnetworkpolicies', singular: 'ovirtnetworkpolicy', shortNames: ['onp'] });
    assert.deepEqual(version().subresources, { status: {} });
    assert.deepEqual((version().additionalPrinterColumns as Node[]).map((c) => c.name), ['Matched', 'Updated', 'Available', 'OutOfSync', 'Progressing', 'Degraded', 'Reason', 'Age']);
  });

  it('is structural and explained: a type (or int-or-string) and a description everywhere', () => {
    for (const [path, n] of nodes(root(), 'root')) {
      assert.ok(typeof n.type === 'string' || n['x-kubernetes-int-or-string'] === true, `${path}: no type`);
      if (path !== 'root.metadata') assert.ok(typeof n.description === 'string' && n.description.length > 0, `${path}: no description`);
      for (const k of ['anyOf', 'oneOf', 'allOf', '$ref', 'default', 'propertyNames']) assert.ok(!(k in n), `${path}: has ${k}`);
    }
  });

  it('networks carry the node spec\'s fields minus the static addresses, plus ipam, ipv6ipam and nicFromNodeLabel', () => {
    const all = new Map(nodes(root(), 'root'));
    const net = all.get('root.spec.networks.*')!;
    const fields = Object.keys(net.properties as Node);
    for (const f of Object.keys(NetworkSpecSchema.shape).filter((k) => !['ipaddr', 'netmask', 'prefix', 'ipv6addr'].includes(k))) assert.ok(fields.includes(f), f);
    for (const f of ['ipaddr', 'netmask', 'prefix', 'ipv6addr']) assert.ok(!fields.includes(f), f);
    for (const f of ['ipam', 'ipv6ipam', 'nicFromNodeLabel']) assert.ok(fields.includes(f), f);
    assert.deepEqual(all.get('root.spec.networks.*.vlan')!.maximum, 4094);
    const rules = (net['x-kubernetes-validations'] as { rule: string }[]).map((r) => r.rule);
    assert.ok(rules.some((r) => r.includes('has(self.nicFromNodeLabel)') && r.includes('self.bridged')), 'bridgeless needs a southbound, nicFromNodeLabel counting');
    assert.ok(rules.some((r) => r.includes('!has(self.gateway) || has(self.ipam)')));
    assert.ok(all.get('root.spec.bondings.*.nicsFromNodeLabel'));
    assert.deepEqual(all.get('root.spec.maxUnavailable')!['x-kubernetes-int-or-string'], true);
    assert.deepEqual(all.get('root.spec.nodeSelector.matchExpressions[].operator')!.enum, ['In', 'NotIn', 'Exists', 'DoesNotExist']);
    assert.equal(all.get('root.status.conditions')!['x-kubernetes-list-type'], 'map');
    assert.equal(all.get('root.status.failedNodes')!.maxItems, 20);
    assert.ok((root()['x-kubernetes-validations'] as { rule: string }[])[0]!.rule.includes('metadata.name.size() <= 63'));
  });
});

describe('the policy schemas', () => {
  const ok = {
    nodeSelector: { matchLabels: { 'ovirt.org/storage': 'yes' }, matchExpressions: [{ key: 'rack', operator: 'In', values: ['r1', 'r2'] }, { key: 'maint', operator: 'DoesNotExist' }] },
    networks: {
      storage: { nicFromNodeLabel: 'ovirt.org/storage-nic', vlan: 20, mtu: 9000, ipam: { pool: '10.20.0.0/24', range: '10.20.0.10-10.20.0.99' }, gateway: '10.20.0.1', ipv6ipam: { pool: 'fd00:20::/64' } },
      vms: { bonding: 'bond0', bridged: true },
    },
    bondings: { bond0: { nicsFromNodeLabel: 'ovirt.org/bond-nics', options: 'mode=4 miimon=100' } },
    maxUnavailable: '25%',
  };

  it('a policy with every feature parses; maxUnavailable defaults to 1', () => {
    assert.equal(PolicySpecSchema.parse(ok).maxUnavailable, '25%');
    assert.equal(PolicySpecSchema.parse({}).maxUnavailable, 1);
  });

  it('static addresses and bad values are refused with the field named', () => {
    const bad = (spec: unknown) => PolicySpecSchema.safeParse(spec).error?.issues.map((i) => i.path.join('.')) ?? [];
    assert.ok(bad({ networks: { n: { ipaddr: '10.0.0.1' } } }).includes('networks.n'), 'ipaddr is not a policy field');
    assert.deepEqual(bad({ networks: { n: { ipam: { pool: '10.0.0.0/33' } } } }), ['networks.n.ipam.pool']);
    assert.deepEqual(bad({ networks: { n: { ipv6ipam: { pool: '10.0.0.0/24' } } } }), ['networks.n.ipv6ipam.pool']);
    assert.deepEqual(bad({ maxUnavailable: '0%' }), ['maxUnavailable']);
    assert.deepEqual(bad({ maxUnavailable: 0 }), ['maxUnavailable']);
    assert.deepEqual(bad({ nodeSelector: { matchExpressions: [{ key: 'a', operator: 'Near' }] } }), ['nodeSelector.matchExpressions.0.operator']);
    assert.deepEqual(bad({ networks: { n: { nicFromNodeLabel: 'not a key!' } } }), ['networks.n.nicFromNodeLabel']);
  });

  it('a status parses', () => {
    PolicyStatusSchema.parse({
      observedGeneration: 3, matchedNodes: 6, updatedNodes: 2, availableNodes: 1, outOfSyncNodes: 4,
      failedNodes: [{ node: 'ns-node-3', reason: 'ConnectivityLost', message: 'API server unreachable' }],
      conditions: [{ type: 'Degraded', status: 'True', reason: 'RolloutAborted', message: 'node ns-node-3 failed', observedGeneration: 3, lastTransitionTime: '2026-01-01T00:00:00Z' }],
    });
  });
});

// Fleet networks (issue 14) against the real lab: policies rendered into the namespace nodes'
// OvirtNodeNetworks by the policy controller, applied by the real agents. The controller is the
// product's Deployment (deploy/controller.yaml: two replicas under the lab's kubelets, its own
// service account, RBAC and admission policy); the test kills its processes and restarts it as an
// operator would. Needs at least 4 namespace nodes (`lab up --ns-nodes 4`; CI's lab has them).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import { run, sleep, waitFor } from '../../src/util/exec.js';
import type { Lab } from '../../lab/src/index.js';
import { podAgentPid, podProcessPid } from '../../lab/src/pod-agent.js';
import { ensureLab, exec, kubectlArgs, releaseLab, type Onn, type Onp } from '../../lab/client/index.js';

interface Pod { metadata: { name: string }; spec: { nodeName?: string }; status: { phase?: string; conditions?: { type: string; status: string }[] } }

let lab: Lab;
const kubectl = (...args: string[]) => run(kubectlArgs(lab, ...args));
const nsNodes = () => lab.state.nodes.filter((n) => n.kind === 'netns').map((n) => n.name);
const NS = 'ovirt-node-network-handler';

const CONTROLLER = 'ovirt-network-policy-controller';

async function controllerPods(): Promise<Pod[]> {
  return (JSON.parse((await kubectl('-n', NS, 'get', 'pods', '-l', `app.kubernetes.io/name=${CONTROLLER}`, '-o', 'json')).stdout) as { items: Pod[] }).items;
}
const ready = (p: Pod) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

async function leaseHolder(): Promise<string | undefined> {
  const r = await run(kubectlArgs(lab, 'get', 'lease', '-n', NS, CONTROLLER, '-o', 'json'), { allowFailure: true });
  return r.code === 0 ? (JSON.parse(r.stdout) as { spec: { holderIdentity?: string } }).spec.holderIdentity : undefined;
}

/** Both replicas Ready and one of them holding the Lease: its pod. */
async function leaderPod(): Promise<Pod> {
  return waitFor('two ready controller replicas, one leading', async () => {
    const pods = await controllerPods();
    const holder = await leaseHolder();
    return pods.filter(ready).length === 2 ? pods.find((p) => p.metadata.name === holder) : undefined;
  }, 180_000, 500);
}

/** kill -9 of the leading replica's process (the kubelet restarts its container); returns its pod's name. */
async function killLeader(): Promise<string> {
  const pod = await leaderPod();
  const pid = await podProcessPid(pod.spec.nodeName!, 'controller');
  assert.ok(pid, `the controller process of ${pod.metadata.name} on ${pod.spec.nodeName}`);
  process.kill(pid, 'SIGKILL');
  return pod.metadata.name;
}

/**
 * Watches the node objects (`kubectl get --watch`, every version the API server stores) and
 * counts the nodes changing for a policy after each event: written by it (its annotation) and
 * not yet reported Available for the object's generation.
 */
function watchChanging(policy: string): { stop(): Promise<{ maxChanging: number; events: number }> } {
  const key = `network-policy\\.ovirt\\.org/${policy}`;
  // With --watch, kubectl prints each object (the listed ones first) through the template.
  const template = `{.metadata.name} {.metadata.generation} {.metadata.annotations.${key}} ` +
    `{.status.conditions[?(@.type=="Available")].observedGeneration} {.status.conditions[?(@.type=="Available")].status}{"\\n"}`;
  const child = spawn('kubectl', ['--kubeconfig', lab.kubeconfig, 'get', 'ovirtnodenetworks', '--watch', '-o', `jsonpath=${template}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const changing = new Map<string, boolean>();
  let maxChanging = 0;
  let events = 0;
  let rest = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      const [name, generation, mark, availableGen, available] = line.split(' ');
      if (!name) continue;
      events++;
      changing.set(name, mark !== undefined && mark !== '' && !(availableGen === generation && available === 'True'));
      maxChanging = Math.max(maxChanging, [...changing.values()].filter(Boolean).length);
    }
  });
  return {
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      return { maxChanging, events };
    },
  };
}

/** SIGSTOP / SIGCONT of a process of the lab's pods (a frozen agent or controller). */
async function freeze<T>(pid: number, during: () => Promise<T>): Promise<T> {
  process.kill(pid, 'SIGSTOP');
  try {
    return await during();
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

async function getJson<T>(...args: string[]): Promise<T> {
  return JSON.parse((await kubectl('get', ...args, '-o', 'json')).stdout) as T;
}
const onn = (node: string) => getJson<Onn>('ovirtnodenetwork', node);
const onp = (name: string) => getJson<Onp>('ovirtnetworkpolicy', name);
const cond = (o: Onn | Onp, t: string) => o.status?.conditions?.find((c) => c.type === t);

async function applyPolicy(name: string, spec: Record<string, unknown>): Promise<void> {
  await run(kubectlArgs(lab, 'apply', '-f', '-'), { input: JSON.stringify({ apiVersion: 'ovirt.org/v1alpha1', kind: 'OvirtNetworkPolicy', metadata: { name }, spec }) });
}

async function deletePolicy(name: string): Promise<void> {
  await kubectl('delete', 'ovirtnetworkpolicy', name, '--ignore-not-found', '--wait=true', '--timeout=600s');
}

async function waitPolicy(name: string, what: string, ok: (p: Onp) => boolean, timeoutMs = 600_000): Promise<Onp> {
  return waitFor(`${name}: ${what}`, async () => {
    const p = await onp(name);
    return p.status?.observedGeneration === p.metadata.generation && ok(p) ? p : undefined;
  }, timeoutMs, 1000);
}
const availableFor = (name: string) => waitPolicy(name, 'Available', (p) => cond(p, 'Available')?.status === 'True');

async function label(node: string, ...kv: string[]): Promise<void> {
  await kubectl('label', 'node', node, '--overwrite', ...kv);
}

/** The IPv4 addresses of a device in a node (none when the device is absent). */
async function addresses(node: string, dev: string): Promise<string[]> {
  const r = await exec(node, ['ip', '-json', '-4', 'addr', 'show', 'dev', dev], { allowFailure: true });
  if (r.code !== 0) return [];
  return (JSON.parse(r.stdout) as { addr_info: { local: string; prefixlen: number }[] }[]).flatMap((l) => l.addr_info.map((a) => `${a.local}/${a.prefixlen}`));
}

/** The namespace nodes (the VM node has no storage-NIC label: a policy for every node would be refused there). */
const HV = { matchLabels: { 'fleet.ovirt.org/role': 'hv' } };

const storagePolicy = (extra: Record<string, unknown> = {}) => ({
  nodeSelector: { matchExpressions: [{ key: 'fleet.ovirt.org/role', operator: 'In', values: ['hv'] }, { key: 'fleet.ovirt.org/maintenance', operator: 'DoesNotExist' }] },
  networks: { fstore: { nicFromNodeLabel: 'fleet.ovirt.org/storage-nic', bridged: true, ipam: { pool: '10.120.0.0/24', range: '10.120.0.10-10.120.0.99' }, ...extra } },
  maxUnavailable: 2,
});

before(async () => {
  lab = await ensureLab();
  assert.ok(nsNodes().length >= 4, 'this file needs `lab up --ns-nodes 4` (or more)');
  // (A run stopped half-way may have left a node in maintenance.)
  for (const n of nsNodes()) await label(n, 'fleet.ovirt.org/role=hv', 'fleet.ovirt.org/storage-nic=eth1', 'fleet.ovirt.org/maintenance-');
  await leaderPod();
});

after(async () => {
  for (const p of ['fleet-storage', 'fleet-a-first', 'fleet-b-second', 'fleet-fail', 'fleet-hostile']) await deletePolicy(p).catch(() => undefined);
  for (const n of nsNodes()) await kubectl('label', 'node', n, 'fleet.ovirt.org/role-', 'fleet.ovirt.org/storage-nic-', 'fleet.ovirt.org/maintenance-').catch(() => undefined);
  await releaseLab();
});

describe('fleet networks', () => {
  it('selection by label expression; IPAM hands out distinct addresses; maxUnavailable holds while sampling', async () => {
    const nodes = nsNodes();
    const last = nodes.length - 1;
    await label(nodes[last]!, 'fleet.ovirt.org/maintenance=yes');
    await applyPolicy('fleet-storage', storagePolicy());
    // Every version of every node object while the rollout runs (a watch): never more than 2 changing at once.
    const sampler = watchChanging('fleet-storage');
    const p = await availableFor('fleet-storage');
    const { maxChanging, events } = await sampler.stop();
    assert.ok(maxChanging >= 1, `the watch saw the rollout (${events} events)`);
    assert.ok(maxChanging <= 2, `${maxChanging} nodes changing at once`);
    assert.equal(p.status?.matchedNodes, last, 'the node in maintenance is not selected');
    const addrs: string[] = [];
    for (const n of nodes.slice(0, last)) {
      const a = await addresses(n, 'fstore');
      assert.equal(a.length, 1, `${n}: ${a.join(' ')}`);
      assert.match(a[0]!, /^10\.120\.0\.(1\d|[2-9]\d)\/24$/);
      addrs.push(a[0]!);
    }
    assert.equal(new Set(addrs).size, last, 'distinct addresses');
    assert.deepEqual(await addresses(nodes[last]!, 'fstore'), []);
  });

  it('addresses survive a controller restart and a policy edit', async () => {
    const nodes = nsNodes().slice(0, -1);
    const before = await Promise.all(nodes.map((n) => onn(n).then((o) => o.spec.networks?.fstore?.ipaddr)));
    await kubectl('-n', NS, 'rollout', 'restart', `deploy/${CONTROLLER}`);
    await kubectl('-n', NS, 'rollout', 'status', `deploy/${CONTROLLER}`, '--timeout=180s');
    await applyPolicy('fleet-storage', storagePolicy({ mtu: 1400 }));
    await availableFor('fleet-storage');
    const afterEdit = await Promise.all(nodes.map((n) => onn(n).then((o) => o.spec.networks?.fstore)));
    assert.deepEqual(afterEdit.map((x) => x?.ipaddr), before);
    assert.ok(afterEdit.every((x) => x?.mtu === 1400));
  });

  it('relabelling a node adds or removes the networks', async () => {
    const nodes = nsNodes();
    const last = nodes.length - 1;
    await label(nodes[0]!, 'fleet.ovirt.org/maintenance=yes');
    await kubectl('label', 'node', nodes[last]!, 'fleet.ovirt.org/maintenance-');
    await waitPolicy('fleet-storage', 'node 0 out, the last node in', (p) => cond(p, 'Available')?.status === 'True' && p.status?.matchedNodes === last
      && p.status.availableNodes === last);
    await waitFor(`${nodes[0]} without fstore`, async () => (await addresses(nodes[0]!, 'fstore')).length === 0 && (await onn(nodes[0]!)).metadata.annotations?.['network-policy.ovirt.org/fleet-storage'] === undefined, 300_000, 1000);
    assert.equal((await addresses(nodes[last]!, 'fstore')).length, 1);
    await kubectl('label', 'node', nodes[0]!, 'fleet.ovirt.org/maintenance-');
    await waitPolicy('fleet-storage', 'node 0 back', (p) => cond(p, 'Available')?.status === 'True' && p.status?.matchedNodes === nodes.length);
  });

  it('deleting a policy reverts it everywhere (finalizer held until done)', async () => {
    await deletePolicy('fleet-storage');
    for (const n of nsNodes()) {
      const o = await onn(n);
      assert.equal(o.spec.networks?.fstore, undefined, n);
      assert.equal(o.metadata.annotations?.['network-policy.ovirt.org/fleet-storage'], undefined, n);
      await waitFor(`${n} without fstore on the host`, async () => (await addresses(n, 'fstore')).length === 0 && (await exec(n, ['ip', 'link', 'show', 'fstore'], { allowFailure: true })).code !== 0, 120_000, 500);
    }
  });

  it('two conflicting policies: the later is refused on every node, with an Event; nothing changes for it', async () => {
    await applyPolicy('fleet-a-first', { nodeSelector: HV, networks: { fconf: { nicFromNodeLabel: 'fleet.ovirt.org/storage-nic', mtu: 1400 } }, maxUnavailable: '50%' });
    await availableFor('fleet-a-first');
    await sleep(1100); // a later creationTimestamp (one-second resolution)
    await applyPolicy('fleet-b-second', { nodeSelector: HV, networks: { fconf: { nicFromNodeLabel: 'fleet.ovirt.org/storage-nic', mtu: 1300 } }, maxUnavailable: '50%' });
    const p = await waitPolicy('fleet-b-second', 'Degraded Conflict', (x) => cond(x, 'Degraded')?.reason === 'Conflict');
    assert.equal(p.status?.failedNodes?.length, nsNodes().length);
    assert.ok(p.status!.failedNodes!.every((f) => f.reason === 'Conflict' && /already of policy fleet-a-first/.test(f.message)), JSON.stringify(p.status?.failedNodes));
    for (const n of nsNodes()) assert.equal((await onn(n)).spec.networks?.fconf?.mtu, 1400);
    const events = (await kubectl('get', 'events', '-A', '--field-selector', 'involvedObject.kind=OvirtNetworkPolicy,involvedObject.name=fleet-b-second', '-o', 'json')).stdout;
    assert.match(events, /"reason": "Conflict"/);
    await deletePolicy('fleet-b-second');
    await deletePolicy('fleet-a-first');
  });

  it('an abort on a failing node leaves the remaining nodes untouched; a new generation resumes', async () => {
    const nodes = nsNodes();
    // A failure only the host finds: the namespace nodes' kernel has no 802.1Q, so the first node's
    // agent fails the VLAN and rolls back; with maxUnavailable 1 no other node is written.
    const failing = { nodeSelector: HV, networks: { ffail: { nicFromNodeLabel: 'fleet.ovirt.org/storage-nic', vlan: 140 } }, maxUnavailable: 1 };
    await applyPolicy('fleet-fail', failing);
    const p = await waitPolicy('fleet-fail', 'RolloutAborted', (x) => cond(x, 'Degraded')?.reason === 'RolloutAborted', 600_000);
    const first = [...nodes].sort()[0]!;
    const failed = p.status?.failedNodes ?? [];
    assert.deepEqual(failed.map((f) => f.node), [first], JSON.stringify(failed));
    assert.match(failed[0]!.reason, /^(SetupFailed|InvalidSpec)$/);
    assert.match(cond(p, 'Degraded')?.message ?? '', new RegExp(`node ${first} failed`));
    await sleep(15_000); // time for the controller to do anything further: it must not
    for (const n of nodes.filter((x) => x !== first)) {
      assert.equal((await onn(n)).spec.networks?.ffail, undefined, `${n}: spec untouched`);
      assert.notEqual((await exec(n, ['ip', 'link', 'show', 'ffail'], { allowFailure: true })).code, 0, `${n}: host untouched`);
    }
    assert.equal((await onp('fleet-fail')).status?.updatedNodes, 1);
    // The fix is a new generation: the rollout resumes and reaches every node.
    await applyPolicy('fleet-fail', { ...failing, networks: { ffail: { nicFromNodeLabel: 'fleet.ovirt.org/storage-nic' } } });
    const fixed = await availableFor('fleet-fail');
    assert.equal(fixed.status?.availableNodes, nodes.length);
    assert.equal(cond(fixed, 'Degraded')?.status, 'False');
  });

  it('a controller killed mid-rollout resumes from the objects', async () => {
    await deletePolicy('fleet-fail');
    const nodes = [...nsNodes()].sort();
    // The second node's agent is frozen: the rollout (one node at a time) stops there, mid-way,
    // deterministically; the leader is killed then, and the agent thawed once it is gone.
    const agent = await podAgentPid(nodes[1]!);
    assert.ok(agent, `${nodes[1]}'s agent`);
    const frozen = await freeze(agent, async () => {
      await applyPolicy('fleet-storage', { ...storagePolicy(), maxUnavailable: 1 });
      await waitFor(`${nodes[1]} written`, async () => (await onn(nodes[1]!)).metadata.annotations?.['network-policy.ovirt.org/fleet-storage'] !== undefined, 120_000, 300);
      const killed = await killLeader();
      await sleep(1000);
      return { killed, status: (await onp('fleet-storage')).status };
    });
    assert.equal(frozen.status?.availableNodes, 1, `when ${frozen.killed} was killed: ${JSON.stringify(frozen.status)}`);
    for (const n of nodes.slice(2)) assert.equal((await onn(n)).spec.networks?.fstore, undefined, `${n} not written yet`);
    const p = await availableFor('fleet-storage');
    assert.equal(p.status?.availableNodes, nodes.length);
    assert.ok(await leaseHolder());
  });

  it('two replicas elect one leader; the other takes over when it stops answering, and the old one follows', async () => {
    const leader = await leaderPod();
    const other = (await controllerPods()).find((x) => x.metadata.name !== leader.metadata.name)!;
    await sleep(8000);
    assert.equal(await leaseHolder(), leader.metadata.name, 'the running leader keeps the lease');
    const logs = async (pod: string) => (await kubectl('-n', NS, 'logs', pod)).stdout;
    assert.doesNotMatch(await logs(other.metadata.name), /"leader":true/, 'the follower never led');
    // A frozen leader (a hung process, a partitioned node) renews nothing: the other takes over
    // once the lease runs out (15 s), and the old one, thawed, sees that and follows.
    const pid = await podProcessPid(leader.spec.nodeName!, 'controller');
    assert.ok(pid);
    await freeze(pid, () => waitFor(`${other.metadata.name} leading`, async () => (await leaseHolder()) === other.metadata.name, 60_000, 500));
    assert.match(await logs(other.metadata.name), /"leader":true/);
    await waitFor(`${leader.metadata.name} following`, async () => /"leader":false/.test(await logs(leader.metadata.name)), 30_000, 500);
    assert.equal(await leaseHolder(), other.metadata.name);
    // The new leader acts: a policy edit rolls out.
    await applyPolicy('fleet-storage', storagePolicy({ mtu: 1450 }));
    const p = await availableFor('fleet-storage');
    assert.equal(p.status?.availableNodes, nsNodes().length);
    await deletePolicy('fleet-storage');
  });

  it('a policy naming a built-in property as its label key is refused per node; the controller keeps running and other policies roll out', async () => {
    const restarts = async () => (JSON.parse((await kubectl('-n', NS, 'get', 'pods', '-l', `app.kubernetes.io/name=${CONTROLLER}`, '-o', 'json')).stdout) as { items: { status: { containerStatuses?: { restartCount: number }[] } }[] })
      .items.reduce((n, p) => n + (p.status.containerStatuses ?? []).reduce((m, c) => m + c.restartCount, 0), 0);
    const before = await restarts();
    await applyPolicy('fleet-hostile', { nodeSelector: HV, networks: { fhost: { nicFromNodeLabel: 'constructor' } }, bondings: { bond7: { nicsFromNodeLabel: 'toString' } }, maxUnavailable: '100%' });
    const p = await waitPolicy('fleet-hostile', 'refused on every node', (x) => cond(x, 'Degraded')?.status === 'True' && (x.status?.failedNodes?.length ?? 0) === nsNodes().length);
    assert.ok(p.status!.failedNodes!.every((f) => f.reason === 'MissingNodeLabel'), JSON.stringify(p.status?.failedNodes));
    await applyPolicy('fleet-storage', storagePolicy());
    await availableFor('fleet-storage');
    assert.equal(await restarts(), before, 'no controller container restarted');
    await deletePolicy('fleet-hostile');
    await deletePolicy('fleet-storage');
  });

  it('several bond slaves as node metadata: an annotation stores "eth1, eth2", a label value cannot hold ","', async () => {
    const node = nsNodes()[0]!;
    const key = 'fleet.ovirt.org/bond-nics-check';
    try {
      await kubectl('annotate', 'node', node, '--overwrite', `${key}=eth1, eth2`);
      const stored = (await getJson<{ metadata: { annotations?: Record<string, string> } }>('node', node)).metadata.annotations?.[key];
      assert.equal(stored, 'eth1, eth2');
      const label = await run(kubectlArgs(lab, 'label', 'node', node, '--overwrite', `${key}=eth1,eth2`), { allowFailure: true });
      assert.notEqual(label.code, 0, 'a label value with "," is refused by the API server');
      assert.match(label.stderr, /invalid label value|must consist of alphanumeric/i);
    } finally {
      await kubectl('annotate', 'node', node, `${key}-`).catch(() => undefined);
    }
  });

  it('the controller\'s service account writes node specs\' networks and bonds, never their status, other fields, create or delete', async () => {
    const as = `--as=system:serviceaccount:${NS}:network-policy-controller`;
    const node = nsNodes()[0]!;
    const attempt = (...args: string[]) => run(kubectlArgs(lab, as, ...args), { allowFailure: true });
    const allowed = await attempt('patch', 'ovirtnodenetwork', node, '--dry-run=server', '--type=merge', '-p', JSON.stringify({ spec: { networks: { fsa: { nic: 'eth2' } } } }));
    assert.equal(allowed.code, 0, `a network: ${allowed.stderr}`);
    const refusals: [string, string[], RegExp][] = [
      ['status', ['patch', 'ovirtnodenetwork', node, '--subresource=status', '--type=merge', '-p', '{"status":{"observedGeneration":1}}'], /forbidden.*ovirtnodenetworks\/status/i],
      ['delete', ['delete', 'ovirtnodenetwork', node, '--dry-run=server'], /forbidden.*cannot delete/i],
      ['create', ['create', '--dry-run=server', '-f', '-'], /forbidden.*cannot create/i],
      ['another spec field', ['patch', 'ovirtnodenetwork', node, '--dry-run=server', '--type=merge', '-p', '{"spec":{"driftPolicy":"Report"}}'], /may change only spec.networks and spec.bondings/],
      ['a label', ['label', 'ovirtnodenetwork', node, '--dry-run=server', 'fleet.ovirt.org/x=y'], /may not change labels/],
      ['another annotation', ['annotate', 'ovirtnodenetwork', node, '--dry-run=server', 'example.org/x=y'], /only its network-policy.ovirt.org\/ annotations/],
    ];
    for (const [what, args, why] of refusals) {
      const input = what === 'create' ? JSON.stringify({ apiVersion: 'ovirt.org/v1alpha1', kind: 'OvirtNodeNetwork', metadata: { name: 'fleet-no-such-node' }, spec: {} }) : undefined;
      const r = await run(kubectlArgs(lab, as, ...args), { allowFailure: true, ...(input ? { input } : {}) });
      assert.notEqual(r.code, 0, `${what} must be refused`);
      assert.match(r.stderr, why, what);
    }
  });
});

// Fleet networks (issue 14) against the real lab: policies rendered into the namespace nodes'
// OvirtNodeNetworks by the policy controller, applied by the real agents. The controller is the
// product's Deployment (deploy/controller.yaml: two replicas under the lab's kubelets, its own
// service account, RBAC and admission policy); the test kills its processes and restarts it as an
// operator would. Needs at least 4 namespace nodes (`lab up --ns-nodes 4`; CI's lab has them).
// The fleet operations (issue 25: paused and `kubectl onn plan --policy`, required networks'
// taint, canary and gates) run against the Deployment too; the lab builds its image once, at
// `lab up`, from the lab's own checkout, so OVNH_FLEET_CONTROLLER=tree runs them against this
// tree's build instead: its policy CRD, controller RBAC and admission policies applied, the
// Deployment scaled to 0, this tree's controller as a process with the service account's token,
// and everything but the applied manifests put back after (treeController below).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lab/src/config.js';
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
  for (const p of ['fleet-storage', 'fleet-a-first', 'fleet-b-second', 'fleet-fail', 'fleet-hostile', 'fleet-preview']) await deletePolicy(p).catch(() => undefined);
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

/**
 * The controller the operations below run against: the lab's Deployment, or, with
 * OVNH_FLEET_CONTROLLER=tree, this tree's build as a process with the controller's own
 * service-account token (the lab's image is built once, at `lab up`, from the lab's checkout):
 * this tree's policy CRD, controller RBAC and admission policies applied, the Deployment scaled
 * to 0 while it runs, and back to 2 after.
 */
async function treeController(): Promise<() => Promise<void>> {
  for (const f of ['crd-policy.yaml', 'controller-rbac.yaml', 'controller-admission-policy.yaml'])
    await kubectl('apply', '-f', join(PROJECT_ROOT, 'deploy', f));
  await kubectl('-n', NS, 'scale', `deploy/${CONTROLLER}`, '--replicas=0');
  await waitFor('the Deployment\'s replicas gone', async () => (await controllerPods()).length === 0, 120_000, 500);
  const token = (await kubectl('-n', NS, 'create', 'token', 'network-policy-controller', '--duration=1h')).stdout.trim();
  const config = JSON.parse((await kubectl('config', 'view', '--raw', '--minify', '--flatten', '-o', 'json')).stdout) as { users: { user: unknown }[] };
  config.users[0]!.user = { token };
  const dir = await mkdtemp(join(tmpdir(), 'ovnh-fleet-'));
  const kubeconfig = join(dir, 'controller.kubeconfig');
  await writeFile(kubeconfig, JSON.stringify(config), { mode: 0o600 });
  // Its log (JSON lines) beside the test's own output, kept after the run for a reader.
  const log = openSync(join(tmpdir(), 'ovnh-fleet-tree-controller.log'), 'w');
  const child: ChildProcess = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'ovirt-node-network-handler.js'), 'controller', '--kubeconfig', kubeconfig,
    '--identity', 'tree-controller', '--namespace', NS, '--metrics-port', '0', '--lease-duration', '15', '--renew-interval', '5'],
  { stdio: ['ignore', log, log] });
  closeSync(log);
  await waitFor('this tree\'s controller leading', async () => (await leaseHolder()) === 'tree-controller', 60_000, 500);
  return async () => {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
    await kubectl('-n', NS, 'scale', `deploy/${CONTROLLER}`, '--replicas=2');
    await kubectl('-n', NS, 'rollout', 'status', `deploy/${CONTROLLER}`, '--timeout=180s');
  };
}

/** Output for the README's "Fleet operations" section, printed as it came. */
const show = (command: string, output: string) => process.stderr.write(`[readme] ${command}\n${output.replace(/\n?$/, '\n')}`);

const TAINT = 'ovirt.org/network-unavailable';
interface NodeObj { metadata: { labels?: Record<string, string> }; spec: { taints?: { key: string; value?: string; effect: string }[]; unschedulable?: boolean } }
const taintsOf = async (node: string) => ((await getJson<NodeObj>('node', node)).spec.taints ?? []).filter((t) => t.key === TAINT);
const previewPolicy = (extra: Record<string, unknown> = {}) => ({
  nodeSelector: HV,
  networks: { fprev: { nicFromNodeLabel: 'fleet.ovirt.org/storage-nic', ipam: { pool: '10.121.0.0/24', range: '10.121.0.10-10.121.0.99' } } },
  maxUnavailable: 2,
  ...extra,
});
/** `kubectl onn plan --policy` of this tree, through kubectl's plugin lookup on PATH. */
async function planPolicy(name: string): Promise<string> {
  const env = { ...process.env, PATH: `${join(PROJECT_ROOT, 'bin')}:${process.env.PATH ?? ''}` };
  // (kubectl takes no global flag before a plugin's name: the plugin reads --kubeconfig itself.)
  return (await run(['kubectl', 'onn', 'plan', '--policy', name, '--kubeconfig', lab.kubeconfig], { env })).stdout;
}

describe('fleet operations: preview, required networks, canary', () => {
  let restore: (() => Promise<void>) | undefined;
  before(async () => {
    if (process.env.OVNH_FLEET_CONTROLLER === 'tree') restore = await treeController();
  });
  after(async () => {
    await deletePolicy('fleet-preview').catch(() => undefined);
    await deletePolicy('fleet-canary').catch(() => undefined);
    for (const n of nsNodes()) await label(n, 'fleet.ovirt.org/storage-nic=eth1');
    await restore?.();
  });

  it('admission names the new fields: paused and required are booleans; a canary of no node, a negative bake, a gate timeout of 0', async () => {
    const r = await run(kubectlArgs(lab, 'apply', '--dry-run=server', '-f', '-'), { allowFailure: true,
      input: JSON.stringify({ apiVersion: 'ovirt.org/v1alpha1', kind: 'OvirtNetworkPolicy', metadata: { name: 'fleet-bad' }, spec: { ...previewPolicy(), paused: 'yes', required: 1 } }) });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec\.paused: Invalid value: "string": spec\.paused in body must be of type boolean/);
    assert.match(r.stderr, /spec\.required: Invalid value: "integer": spec\.required in body must be of type boolean/);
    const canary = await run(kubectlArgs(lab, 'apply', '--dry-run=server', '-f', '-'), { allowFailure: true,
      input: JSON.stringify({ apiVersion: 'ovirt.org/v1alpha1', kind: 'OvirtNetworkPolicy', metadata: { name: 'fleet-bad' }, spec: { ...previewPolicy(), rollout: { canary: { nodes: 0, bakeSeconds: -1, gateTimeoutSeconds: 0 } } } }) });
    assert.notEqual(canary.code, 0);
    show('$ kubectl apply --dry-run=server (canary nodes 0, bakeSeconds -1, gateTimeoutSeconds 0)', canary.stderr);
    assert.match(canary.stderr, /spec\.rollout\.canary\.nodes: Invalid value: 0: spec\.rollout\.canary\.nodes in body should be greater than or equal to 1/);
    assert.match(canary.stderr, /spec\.rollout\.canary\.bakeSeconds: Invalid value: -1: spec\.rollout\.canary\.bakeSeconds in body should be greater than or equal to 0/);
    assert.match(canary.stderr, /spec\.rollout\.canary\.gateTimeoutSeconds: Invalid value: 0: spec\.rollout\.canary\.gateTimeoutSeconds in body should be greater than or equal to 1/);
  });

  it('paused: everything computed, nothing written; plan --policy shows each node with its address; unpausing rolls out those addresses', async () => {
    const nodes = [...nsNodes()].sort();
    const last = nodes[nodes.length - 1]!;
    await kubectl('label', 'node', last, 'fleet.ovirt.org/storage-nic-');
    await applyPolicy('fleet-preview', previewPolicy({ paused: true }));
    const p = await waitPolicy('fleet-preview', 'Paused', (x) => cond(x, 'Progressing')?.reason === 'Paused' && x.status?.matchedNodes === nodes.length);
    assert.equal(cond(p, 'Progressing')?.status, 'False');
    assert.deepEqual(p.status?.failedNodes?.map((f) => [f.node, f.reason]), [[last, 'MissingNodeLabel']]);
    show('$ kubectl get onp fleet-preview', (await kubectl('get', 'onp', 'fleet-preview')).stdout);
    await sleep(5000); // time for the controller to write anything: it must not
    for (const n of nodes) {
      const o = await onn(n);
      assert.equal(o.spec.networks?.fprev, undefined, `${n}: nothing written while paused`);
      assert.equal(o.metadata.annotations?.['network-policy.ovirt.org/fleet-preview'], undefined, n);
    }
    const out = await planPolicy('fleet-preview');
    show('$ kubectl onn plan --policy fleet-preview', out);
    assert.match(out, /^policy fleet-preview generation 1 \(paused: nothing is written\): \d+ matched node\(s\); /);
    const previewed = new Map<string, string>();
    for (const n of nodes.slice(0, -1)) {
      const line = new RegExp(`\\n {2}${n} {2}to be written[^\\n]* {2}\\d+ steps? {2}fprev=(10\\.121\\.0\\.\\d+)/24`).exec(out);
      assert.ok(line, `${n}'s summary line: ${out}`);
      previewed.set(n, line[1]!);
      assert.match(out, new RegExp(`\\n${n}: [^\\n]*\\n {2}[ \\d]{2}\\d\\. add network fprev: bridged on eth1`), `${n}'s steps`);
    }
    assert.equal(new Set(previewed.values()).size, nodes.length - 1, 'distinct addresses');
    assert.match(out, new RegExp(`\\n {2}${last} {2}refused {2}- {2}- {2}refused: MissingNodeLabel: `));
    await applyPolicy('fleet-preview', previewPolicy({ paused: false }));
    await waitPolicy('fleet-preview', 'rolled out to the labelled nodes', (x) => x.status?.availableNodes === nodes.length - 1);
    for (const n of nodes.slice(0, -1)) assert.equal((await onn(n)).spec.networks?.fprev?.ipaddr, previewed.get(n), `${n}: the previewed address`);
    assert.notEqual(cond(await onp('fleet-preview'), 'Progressing')?.reason, 'Paused');
  });

  it('required: the node lacking the networks is tainted NoSchedule with the policy\'s name, untainted when it has them, and when the policy is deleted', async () => {
    const nodes = [...nsNodes()].sort();
    const last = nodes[nodes.length - 1]!;
    await applyPolicy('fleet-preview', previewPolicy({ required: true }));
    await waitFor(`${last} tainted`, async () => (await taintsOf(last)).length === 1, 120_000, 500);
    assert.deepEqual(await taintsOf(last), [{ key: TAINT, value: 'fleet-preview', effect: 'NoSchedule' }]);
    for (const n of nodes.slice(0, -1)) assert.deepEqual(await taintsOf(n), [], `${n} has the networks`);
    assert.equal((await onp('fleet-preview')).status?.unavailableNodes, 1);
    show(`$ kubectl get node ${last} -o jsonpath='{.spec.taints}'`, (await kubectl('get', 'node', last, '-o', 'jsonpath={.spec.taints}')).stdout);
    await label(last, 'fleet.ovirt.org/storage-nic=eth1');
    await waitPolicy('fleet-preview', 'Available everywhere', (x) => cond(x, 'Available')?.status === 'True');
    await waitFor(`${last} untainted`, async () => (await taintsOf(last)).length === 0, 120_000, 500);
    // Lacking again (the label goes: refused there), then the policy is deleted: the taint goes with it.
    await kubectl('label', 'node', last, 'fleet.ovirt.org/storage-nic-');
    await waitFor(`${last} tainted again`, async () => (await taintsOf(last)).length === 1, 120_000, 500);
    await deletePolicy('fleet-preview');
    for (const n of nodes) assert.deepEqual(await taintsOf(n), [], `${n}: no taint once the policy is gone`);
  });

  it('canary: the first node changes alone and bakes; its southbound going down stops the rollout (CanaryFailed), no other node is written; a new generation resumes', async () => {
    const nodes = [...nsNodes()].sort();
    const [first] = nodes;
    for (const n of nodes) await label(n, 'fleet.ovirt.org/storage-nic=eth1');
    const canary = (bakeSeconds: number) => ({
      nodeSelector: HV,
      networks: { fcan: { nicFromNodeLabel: 'fleet.ovirt.org/storage-nic', mtu: 1400 } },
      maxUnavailable: 2,
      rollout: { canary: { nodes: 1, bakeSeconds } },
    });
    const linkUp = async (up: boolean) => exec(first!, ['ip', 'link', 'set', 'eth1', up ? 'up' : 'down']);
    const southbound = async () => ((await onn(first!)).status as { statistics?: Record<string, { state?: string }> } | undefined)?.statistics?.eth1?.state;
    try {
      await applyPolicy('fleet-canary', canary(600));
      const baking = await waitPolicy('fleet-canary', 'Baking', (x) => cond(x, 'Progressing')?.reason === 'Baking');
      show('$ kubectl get onp fleet-canary', (await kubectl('get', 'onp', 'fleet-canary')).stdout);
      assert.match(cond(baking, 'Progressing')?.message ?? '', /^1 canary node\(s\) Available; baking until /);
      assert.deepEqual(baking.status?.canary?.nodes, [first]);
      // The southbound goes down during the bake: the agent's statistics say so, the gate fails.
      await linkUp(false);
      const p = await waitPolicy('fleet-canary', 'CanaryFailed', (x) => cond(x, 'Degraded')?.reason === 'CanaryFailed', 180_000);
      show("$ kubectl get onp fleet-canary -o jsonpath='{.status.conditions[?(@.type==\"Degraded\")].message}'", cond(p, 'Degraded')?.message ?? '');
      assert.match(cond(p, 'Degraded')?.message ?? '', new RegExp(`^node ${first} failed the (SouthboundUp|NodeNetworkHealthy) gate `));
      assert.equal(cond(p, 'Progressing')?.reason, 'CanaryFailed');
      for (const n of nodes.slice(1)) assert.equal((await onn(n)).spec.networks?.fcan, undefined, `${n}: not written`);
      const events = (await kubectl('get', 'events', '-A', '--field-selector', 'involvedObject.kind=OvirtNetworkPolicy,involvedObject.name=fleet-canary', '-o', 'json')).stdout;
      assert.match(events, /"reason": "CanaryFailed"/);
      // Fixed (the link back up, and reported so), a new generation resumes: every node gets it.
      await linkUp(true);
      await waitFor(`${first} reports eth1 up`, async () => (await southbound()) === 'up', 120_000, 1000);
      await applyPolicy('fleet-canary', canary(5));
      const done = await availableFor('fleet-canary');
      assert.equal(done.status?.availableNodes, nodes.length);
      assert.equal(done.status?.gateFailure, undefined);
    } finally {
      await linkUp(true).catch(() => undefined);
      await deletePolicy('fleet-canary');
    }
  });

  it('a policy gone without its finalizer: the controller removes what its field manager left on the node objects', async () => {
    // The state a policy leaves when its finalizer is removed by hand mid-removal (racy to bring
    // about through a real policy): its field manager owning a network and its annotation on two
    // node objects, and no such policy. Written here as the controller writes it, by server-side apply.
    const nodes = [...nsNodes()].sort().slice(0, 2);
    const manager = 'ovirt-network-policy/fleet-ghost';
    const mark = 'network-policy.ovirt.org/fleet-ghost';
    type Managed = Onn & { metadata: { managedFields?: { manager: string; fieldsV1?: { 'f:spec'?: { 'f:networks'?: Record<string, unknown> } } }[] } };
    const owned = async (n: string) => {
      const o = await getJson<Managed>('ovirtnodenetwork', n, '--show-managed-fields');
      return { network: o.spec.networks?.fghost, mark: o.metadata.annotations?.[mark],
        manages: o.metadata.managedFields?.some((e) => e.manager === manager && Object.keys(e.fieldsV1?.['f:spec']?.['f:networks'] ?? {}).length > 0) ?? false };
    };
    try {
      for (const n of nodes) {
        await run(kubectlArgs(lab, 'apply', '--server-side', `--field-manager=${manager}`, '-f', '-'), { input: JSON.stringify({
          apiVersion: 'ovirt.org/v1alpha1', kind: 'OvirtNodeNetwork', metadata: { name: n, annotations: { [mark]: '1' } },
          spec: { networks: { fghost: { nic: 'eth1', bridged: true } } } }) });
      }
      await waitFor('the orphan\'s entries and annotations gone', async () => {
        const all = await Promise.all(nodes.map(owned));
        return all.every((o) => o.network === undefined && o.mark === undefined && !o.manages) ? true : undefined;
      }, 120_000, 500);
      for (const n of nodes) {
        await waitFor(`${n}: its agent has acted on the removal`, async () => {
          const o = await onn(n);
          return cond(o, 'Available')?.observedGeneration === o.metadata.generation && cond(o, 'Available')?.status === 'True';
        }, 120_000, 500);
        const r = await exec(n, ['ip', 'link', 'show', 'fghost'], { allowFailure: true });
        assert.notEqual(r.code, 0, `${n}: no bridge fghost left`);
      }
      if (process.env.OVNH_FLEET_CONTROLLER === 'tree') {
        const log = await readFile(join(tmpdir(), 'ovnh-fleet-tree-controller.log'), 'utf8');
        assert.match(log, /"policy":"fleet-ghost".*orphaned field manager/, 'removed by the orphan clean-up');
      }
    } finally {
      for (const n of nodes) {
        const o = await owned(n).catch(() => undefined);
        if (o?.network !== undefined || o?.mark !== undefined)
          await kubectl('patch', 'ovirtnodenetwork', n, '--type=json', '-p', JSON.stringify([
            ...(o.network !== undefined ? [{ op: 'remove', path: '/spec/networks/fghost' }] : []),
            ...(o.mark !== undefined ? [{ op: 'remove', path: '/metadata/annotations/network-policy.ovirt.org~1fleet-ghost' }] : []),
          ])).catch(() => undefined);
      }
    }
  });

  it('the controller\'s service account may change only that taint on a Node', async () => {
    const as = `--as=system:serviceaccount:${NS}:network-policy-controller`;
    const node = nsNodes()[0]!;
    const attempt = (...args: string[]) => run(kubectlArgs(lab, as, ...args), { allowFailure: true });
    const allowed = await attempt('taint', 'node', node, '--dry-run=server', `${TAINT}=fleet-x:NoSchedule`);
    assert.equal(allowed.code, 0, `the taint: ${allowed.stderr}`);
    const refusals: [string, string[], RegExp][] = [
      ['a label', ['label', 'node', node, '--dry-run=server', 'fleet.ovirt.org/x=y'], /may not change a Node's labels, annotations/],
      ['an annotation', ['annotate', 'node', node, '--dry-run=server', 'example.org/x=y'], /may not change a Node's labels, annotations/],
      ['another taint', ['taint', 'node', node, '--dry-run=server', 'example.org/x=y:NoSchedule'], /may change only the ovirt.org\/network-unavailable taint/],
      ['that taint, NoExecute', ['taint', 'node', node, '--dry-run=server', `${TAINT}=fleet-x:NoExecute`], /may change only the ovirt.org\/network-unavailable taint/],
      // (kubectl cordon exits 0 when the API refuses it: the same change as a patch.)
      ['cordon', ['patch', 'node', node, '--dry-run=server', '-p', '{"spec":{"unschedulable":true}}'], /may change only the ovirt.org\/network-unavailable taint of a Node's spec/],
      ['status', ['patch', 'node', node, '--subresource=status', '--type=merge', '-p', '{"status":{"capacity":{"example.org/x":"1"}}}'], /forbidden/i],
      ['delete', ['delete', 'node', node, '--dry-run=server'], /forbidden.*cannot delete/i],
    ];
    for (const [what, args, why] of refusals) {
      const r = await attempt(...args);
      assert.notEqual(r.code, 0, `${what} must be refused`);
      assert.match(r.stderr, why, `${what}: ${r.stderr}`);
    }
  });
});

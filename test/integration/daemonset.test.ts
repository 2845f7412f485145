// Real nodes (issue 12): the shipped manifests and image, installed with `kubectl apply -k`, run
// as a DaemonSet under real kubelets and containerd inside the lab's namespace nodes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, sleep, waitFor } from '../../src/util/exec.js';
import { HANDLER_NAMESPACE } from '../../lab/src/agents.js';
import { KUBERNETES_VERSION } from '../../lab/src/config.js';
import { nodeAgentPid, type Lab } from '../../lab/src/index.js';
import { ensureLab, exec, kubectlArgs, OnnDriver, releaseLab } from '../../lab/client/index.js';

let lab: Lab;
let onn: OnnDriver;
const kubectl = (...args: string[]) => run(kubectlArgs(lab, ...args));
const kubeletNodes = () => lab.state.nodes.filter((n) => n.agent === 'pod').map((n) => n.name);
const DS = 'ds/ovirt-node-network-handler';

interface Pod {
  metadata: { name: string; uid: string };
  spec: { nodeName: string };
  status: { phase: string; conditions?: { type: string; status: string }[]; containerStatuses?: { ready: boolean; restartCount: number }[] };
}

/** The DaemonSet's pods (the namespace also holds the policy controller's). */
async function pods(): Promise<Pod[]> {
  return (JSON.parse((await kubectl('-n', HANDLER_NAMESPACE, 'get', 'pods', '-l', 'app.kubernetes.io/name=ovirt-node-network-handler', '-o', 'json')).stdout) as { items: Pod[] }).items;
}
async function podOn(node: string): Promise<Pod> {
  return waitFor(`the agent pod on ${node} to be Ready`, async () => (await pods()).find((p) => p.spec.nodeName === node &&
    p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')), 180_000, 500);
}
before(async () => {
  lab = await ensureLab();
  onn = new OnnDriver(lab.kubeconfig);
});
after(async () => {
  for (const n of kubeletNodes()) await onn.setSpec(n, {}).catch(() => undefined);
  for (const n of kubeletNodes()) await onn.available(n).catch(() => undefined);
  await releaseLab();
});

describe('the DaemonSet under real kubelets', () => {
  it('every kubelet registered its Node (Ready, its version), and the DaemonSet is ready on each of them', async (t) => {
    if (kubeletNodes().length === 0) return t.skip('a lab started with --process-agents has no kubelets');
    const names = kubeletNodes();
    assert.ok(names.length >= 2, `a lab with kubelet nodes (got ${names.join(', ')})`);
    const nodes = JSON.parse((await kubectl('get', 'nodes', '-o', 'json')).stdout) as { items: { metadata: { name: string; labels: Record<string, string> }; status: { nodeInfo: { kubeletVersion: string; containerRuntimeVersion: string }; conditions: { type: string; status: string }[] } }[] };
    for (const n of names) {
      const node = nodes.items.find((x) => x.metadata.name === n);
      assert.ok(node, `${n} registered`);
      assert.equal(node.status.nodeInfo.kubeletVersion, KUBERNETES_VERSION);
      assert.match(node.status.nodeInfo.containerRuntimeVersion, /^containerd:\/\//);
      assert.equal(node.status.conditions.find((c) => c.type === 'Ready')?.status, 'True', n);
      assert.equal(node.metadata.labels['kubernetes.io/os'], 'linux');
    }
    await kubectl('-n', HANDLER_NAMESPACE, 'rollout', 'status', DS, '--timeout=180s');
    const ds = JSON.parse((await kubectl('-n', HANDLER_NAMESPACE, 'get', DS, '-o', 'json')).stdout) as { status: { desiredNumberScheduled: number; numberReady: number } };
    assert.equal(ds.status.desiredNumberScheduled, names.length);
    assert.equal(ds.status.numberReady, names.length);
    for (const n of names) {
      const p = await podOn(n);
      assert.equal(p.status.containerStatuses?.[0]?.ready, true, 'readiness probe (/readyz) passed');
    }
  });

  it('each node\'s object is written by the pod on that node, with that pod\'s projected token', async (t) => {
    if (kubeletNodes().length === 0) return t.skip('a lab started with --process-agents has no kubelets');
    for (const n of kubeletNodes()) {
      const pod = await podOn(n);
      await onn.available(n);
      // The audit log records who wrote each status patch, with the token's node and pod claims.
      const entry = await waitFor(`an audited status write for ${n} by its pod`, async () => {
        const lines = (await readFile(join(lab.paths.dir, 'audit.log'), 'utf8')).split('\n').filter(Boolean);
        return lines.map((l) => JSON.parse(l) as { objectRef?: { resource: string; subresource?: string; name?: string }; user: { username: string; extra?: Record<string, string[]> }; responseStatus?: { code: number } })
          .find((e) => e.objectRef?.resource === 'ovirtnodenetworks' && e.objectRef.subresource === 'status' && e.objectRef.name === n &&
            e.user.extra?.['authentication.kubernetes.io/pod-name']?.[0] === pod.metadata.name && e.responseStatus?.code === 200);
      }, 60_000, 1000);
      assert.equal(entry.user.username, `system:serviceaccount:${HANDLER_NAMESPACE}:handler`);
      assert.deepEqual(entry.user.extra?.['authentication.kubernetes.io/node-name'], [n]);
      assert.deepEqual(entry.user.extra?.['authentication.kubernetes.io/pod-uid'], [pod.metadata.uid]);
    }
  });

  it('the admission policy refuses the pod\'s own token writing another node\'s object (a real request from inside the pod)', async (t) => {
    if (kubeletNodes().length === 0) return t.skip('a lab started with --process-agents has no kubelets');
    const [a, b] = kubeletNodes();
    const pod = await podOn(a!);
    // The in-cluster address and token, exactly as the agent finds them.
    const script = `
      const fs = require('fs'), https = require('https');
      const dir = '/var/run/secrets/kubernetes.io/serviceaccount';
      const req = https.request({ host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT, method: 'PATCH',
        path: '/apis/ovirt.org/v1alpha1/ovirtnodenetworks/${b}/status', ca: fs.readFileSync(dir + '/ca.crt'),
        headers: { authorization: 'Bearer ' + fs.readFileSync(dir + '/token', 'utf8'), 'content-type': 'application/merge-patch+json' } },
        (res) => { let d = ''; res.on('data', (c) => d += c); res.on('end', () => console.log(JSON.stringify({ code: res.statusCode, body: d }))); });
      req.end(JSON.stringify({ status: { setupStatus: { Failed: { reason: 'InvalidSpec', message: 'forged by another node' } } } }));`;
    const r = await kubectl('-n', HANDLER_NAMESPACE, 'exec', pod.metadata.name, '--', 'node', '-e', script);
    const out = JSON.parse(r.stdout.trim()) as { code: number; body: string };
    assert.equal(out.code, 403, out.body);
    assert.match(out.body, new RegExp(`may only write the OvirtNodeNetwork of its own node \\(${a}\\)`));
    assert.doesNotMatch(JSON.stringify((await onn.get(b!)).status?.setupStatus), /forged/);
  });

  it('kubectl logs and kubectl exec ... show --json reach the agent in its pod', async (t) => {
    if (kubeletNodes().length === 0) return t.skip('a lab started with --process-agents has no kubelets');
    const n = kubeletNodes()[0]!;
    const pod = await podOn(n);
    const logs = await kubectl('-n', HANDLER_NAMESPACE, 'logs', pod.metadata.name, '--tail=200');
    assert.match(logs.stdout, new RegExp(`"node":"${n}"`));
    const show = await kubectl('-n', HANDLER_NAMESPACE, 'exec', pod.metadata.name, '--', 'ovirt-node-network-handler', 'show', '--json');
    const caps = JSON.parse(show.stdout) as { capabilities: { nics: Record<string, unknown> } };
    // hostNetwork: the container sees exactly its node's NICs, not this machine's.
    const nodeLinks = JSON.parse((await exec(n, ['ip', '-json', 'link', 'show'])).stdout) as { ifname: string; link_type: string }[];
    for (const l of nodeLinks.filter((x) => /^eth\d+$/.test(x.ifname))) assert.ok(caps.capabilities.nics[l.ifname], `${l.ifname} seen from the pod`);
    assert.deepEqual(Object.keys(caps.capabilities.nics).sort(), nodeLinks.filter((x) => /^eth\d+$/.test(x.ifname)).map((x) => x.ifname).sort());
  });

  it('kubectl rollout restart leaves handler-owned networks untouched, and the new pod reports Available without re-applying', async (t) => {
    if (kubeletNodes().length === 0) return t.skip('a lab started with --process-agents has no kubelets');
    const n = kubeletNodes()[0]!;
    await onn.setSpec(n, { networks: {
      keep: { nic: 'eth2', bridged: true, bootproto: 'none', ipaddr: '10.93.0.1', netmask: '255.255.255.0', ipv6addr: 'fd00:93::1/64' },
      lease: { nic: 'eth1', bridged: true, bootproto: 'dhcp' },
    } });
    const o = await onn.available(n);
    const lease = await waitFor('a DHCP lease on lease', async () => {
      const a = JSON.parse((await exec(n, ['ip', '-json', '-4', 'addr', 'show', 'dev', 'lease'])).stdout) as { addr_info: { local: string }[] }[];
      return a[0]?.addr_info[0]?.local;
    }, 60_000, 500);
    const snapshot = async () => {
      const links = JSON.parse((await exec(n, ['ip', '-json', 'link', 'show'])).stdout) as { ifindex: number; ifname: string; master?: string }[];
      const addrs = JSON.parse((await exec(n, ['ip', '-json', 'addr', 'show'])).stdout) as { ifname: string; addr_info: { local: string; prefixlen: number; scope: string }[] }[];
      return JSON.stringify({
        links: links.map((l) => [l.ifindex, l.ifname, l.master]).sort(),
        addrs: addrs.map((a) => [a.ifname, a.addr_info.filter((x) => x.scope !== 'link').map((x) => `${x.local}/${x.prefixlen}`).sort()]).sort(),
      });
    };
    const before = await snapshot();
    const oldPod = await podOn(n);
    const dnsmasqLog = join(lab.paths.dir, 'dnsmasq.log');
    const logBefore = (await readFile(dnsmasqLog, 'utf8')).length;
    await kubectl('-n', HANDLER_NAMESPACE, 'rollout', 'restart', DS);
    await kubectl('-n', HANDLER_NAMESPACE, 'rollout', 'status', DS, '--timeout=240s');
    const newPod = await podOn(n);
    assert.notEqual(newPod.metadata.uid, oldPod.metadata.uid, 'a new pod');
    const after = await onn.available(n);
    assert.equal(after.metadata.generation, o.metadata.generation);
    // Let the new agent observe and supervise DHCP for a while, then compare.
    await sleep(15_000);
    assert.equal(await snapshot(), before, 'the same devices (ifindex), ports and addresses');
    const logs = (await kubectl('-n', HANDLER_NAMESPACE, 'logs', newPod.metadata.name)).stdout;
    const applies = logs.split('\n').filter((l) => /"steps":[1-9]/.test(l));
    assert.deepEqual(applies, [], 'the new agent found everything in place');
    // dnsmasq logs the lease's MAC; no DISCOVER for it after the restart: the lease was kept (a REQUEST renews it).
    const mac = (JSON.parse((await exec(n, ['ip', '-json', 'link', 'show', 'dev', 'lease'])).stdout) as { address: string }[])[0]!.address;
    const newLog = (await readFile(dnsmasqLog, 'utf8')).slice(logBefore);
    assert.ok(!new RegExp(`DHCPDISCOVER\\(data\\) ${mac}`).test(newLog), `no new lease from scratch for ${mac} (${lease})`);
  });

  it('kubectl delete pod --force in the middle of an apply converges to the new spec', async (t) => {
    if (kubeletNodes().length === 0) return t.skip('a lab started with --process-agents has no kubelets');
    const n = kubeletNodes()[1] ?? kubeletNodes()[0]!;
    await onn.setSpec(n, {});
    await onn.available(n);
    const networks: Record<string, unknown> = {};
    for (let i = 0; i < 40; i++) networks[`fd${i}`] = { bridged: true, bootproto: 'none', ipaddr: `10.95.${i}.1`, netmask: '255.255.255.0' };
    const pod = await podOn(n);
    const pid = await nodeAgentPid(n);
    await onn.setSpec(n, { networks });
    await waitFor('the apply to start', async () => (await onn.get(n)).status?.conditions?.some((c) => c.type === 'Progressing' && c.status === 'True'), 60_000, 20);
    await kubectl('-n', HANDLER_NAMESPACE, 'delete', 'pod', pod.metadata.name, '--grace-period=0', '--force');
    const next = await podOn(n);
    assert.notEqual(next.metadata.uid, pod.metadata.uid);
    // The kubelet kills the old container on its own time: the new pod may be up before.
    await waitFor('the old agent to be killed', async () => !(await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).includes('ovirt-node-network-handler'), 60_000, 200);
    const newPid = await waitFor('the new pod\'s agent', () => nodeAgentPid(n), 60_000, 200);
    assert.notEqual(newPid, pid);
    const o = await onn.available(n);
    const applied = Object.keys(o.status!.kernelConfig!.networks).sort();
    assert.deepEqual(applied, Object.keys(networks).sort());
    const bridges = JSON.parse((await exec(n, ['ip', '-json', 'link', 'show', 'type', 'bridge'])).stdout) as { ifname: string }[];
    assert.deepEqual(bridges.map((b) => b.ifname).filter((x) => x.startsWith('fd')).sort(), applied);
  });
});

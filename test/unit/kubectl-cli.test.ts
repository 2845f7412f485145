// `kubectl onn`: arguments, flags, errors and exit codes of the verbs over injected I/O (objects
// from reported-fixtures.ts); then the real launcher, bin/kubectl-onn, as a process against a
// local HTTPS server holding such an object (certificates from the lab's openssl PKI), with
// --kubeconfig, --context and $KUBECONFIG, and through kubectl's own plugin lookup on PATH.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createServer, type Server } from 'node:https';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { stringify } from 'yaml';
import { readSpecDocument } from '../../src/cli/input.js';
import type { ConnectFlags, FleetObjects, NodeSource } from '../../src/kubectl/node-source.js';
import { runPlugin } from '../../src/kubectl/commands.js';
import { diffAgainstStatus, renderDiff } from '../../src/kubectl/diff.js';
import { readReported, requireParts } from '../../src/kubectl/reported.js';
import { renderStatusTree } from '../../src/kubectl/tree.js';
import type { OnnObject } from '../../src/k8s/client.js';
import { PROJECT_ROOT } from '../../lab/src/config.js';
import { createPki, type Pki } from '../../lab/src/pki.js';
import { configToSpec } from '../../src/plan/canonicalize.js';
import { run } from '../../src/util/exec.js';
import { loadRunning } from './observe-fixtures.js';
import { reportedObject, T0 } from './reported-fixtures.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ovnh-kubectl-onn-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Ran { code: number; out: string; err: string; connects: ConnectFlags[]; reads: number }

/** One invocation; `objects`: what each name's GETs return, in turn (the last one again after). */
async function plugin(argv: string[], objects: Record<string, OnnObject[]> = {}, fleet: FleetObjects = { policies: [], nodes: [], onns: [] }): Promise<Ran> {
  const r: Ran = { code: -1, out: '', err: '', connects: [], reads: 0 };
  const done = new AbortController();
  const served = new Map<string, number>();
  const source: NodeSource = {
    get: async (name) => {
      r.reads++;
      const list = objects[name];
      if (!list) return undefined;
      const i = served.get(name) ?? 0;
      served.set(name, i + 1);
      if (i >= list.length - 1) done.abort(); // every object served: a --watch ends after this read
      return list[Math.min(i, list.length - 1)];
    },
    fleet: async () => {
      r.reads++;
      return fleet;
    },
    close: () => undefined,
  };
  r.code = await runPlugin(argv, {
    out: (s) => void (r.out += s),
    err: (s) => void (r.err += s),
    connect: async (flags) => {
      r.connects.push(flags);
      return source;
    },
    readSpec: readSpecDocument,
    now: () => T0 + 60,
    sleep: async () => undefined,
    signal: done.signal,
  });
  return r;
}

const settled = () => reportedObject('netns', { node: 'ns-node-1' });

describe('verbs, flags and errors', () => {
  it('tree: the status tree of the named node; --kubeconfig and --context reach the connection, before or after the verb', async () => {
    const obj = settled();
    const r = await plugin(['--context', 'prod', 'tree', 'ns-node-1', '--kubeconfig', '/k'], { 'ns-node-1': [obj] });
    assert.equal(r.code, 0, r.err);
    const rep = readReported(obj);
    assert.equal(r.out, renderStatusTree(rep.capabilities!, rep.statistics));
    assert.deepEqual(r.connects, [{ context: 'prod', kubeconfig: '/k' }]);
    assert.equal((await plugin(['tree', 'ns-node-1'], { 'ns-node-1': [obj] })).connects[0]!.context, undefined);
  });

  it('a node without an object, without a status, or with a malformed one: exit 1, the node and the field named', async () => {
    const ghost = await plugin(['tree', 'ghost'], { 'ns-node-1': [settled()] });
    assert.deepEqual([ghost.code, ghost.out, ghost.err], [1, '', 'error: no OvirtNodeNetwork named ghost (kubectl get onn lists them; each is named after its node)\n']);
    const bare: OnnObject = { apiVersion: 'ovirt.org/v1alpha1', kind: 'OvirtNodeNetwork', metadata: { name: 'new', generation: 1 }, spec: {} };
    const fresh = await plugin(['diff', 'new'], { new: [bare] });
    assert.equal(fresh.code, 1);
    assert.equal(fresh.err, 'error: new: status.capabilities: not reported yet: is the agent running on the node?\nerror: new: status.kernelConfig: not reported yet: is the agent running on the node?\n');
    const broken = settled();
    (broken.status!.capabilities as { nics: Record<string, { mtu: unknown }> }).nics.e1!.mtu = 1500;
    (broken.status!.kernelConfig as { networks: Record<string, { vlan: unknown }> }).networks.net1!.vlan = 'seven';
    const bad = await plugin(['tree', 'ns-node-1'], { 'ns-node-1': [broken] });
    assert.equal(bad.code, 1);
    assert.equal(bad.err, 'error: ns-node-1: status.capabilities.nics.e1.mtu: must be a string\nerror: ns-node-1: status.kernelConfig.networks.net1.vlan: must be a number\n');
    const none = await plugin(['tree', 'ns-node-1', '--interface', 'eth7'], { 'ns-node-1': [settled()] });
    assert.deepEqual([none.code, none.err], [1, 'error: ns-node-1 reports no device named eth7\n']);
  });

  it('usage errors exit 1 with the usage; --help exits 0', async () => {
    const missing = await plugin(['tree']);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /^error: missing required argument 'node'\n/);
    assert.match(missing.err, /Usage: kubectl onn tree \[options\] <node>/);
    const noFile = await plugin(['plan', 'ns-node-1']);
    assert.equal(noFile.code, 1);
    assert.match(noFile.err, /plan needs a node and -f FILE \(a spec for it\), or --policy NAME/);
    const format = await plugin(['plan', 'ns-node-1', '-f', 'x.yaml', '-o', 'yaml']);
    assert.equal(format.code, 1);
    assert.match(format.err, /argument 'yaml' is invalid\. Allowed choices are text, json/);
    const interval = await plugin(['stats', 'ns-node-1', '--watch', '--interval', '0'], { 'ns-node-1': [settled()] });
    assert.deepEqual([interval.code, interval.err], [1, 'error: --interval: must be a positive number of seconds, got "0"\n']);
    for (const r of [missing, noFile, format, interval]) assert.equal(r.reads, 0, 'nothing is read from the API server');
    const help = await plugin(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /^Usage: kubectl onn \[options\] \[command\]/);
    for (const verb of ['tree', 'plan', 'diff', 'stats']) assert.match(help.out, new RegExp(`^ {2}${verb} `, 'm'));
  });

  it('plan -f: input refused before the API is asked (empty, missing, two documents); exit 1 on errors, 0 with the steps', async () => {
    const empty = join(dir, 'empty.yaml');
    await writeFile(empty, '\n');
    const r = await plugin(['plan', 'ns-node-1', '-f', empty], { 'ns-node-1': [settled()] });
    assert.deepEqual([r.code, r.reads], [1, 0]);
    assert.equal(r.err, `error: ${empty}: empty input: no OvirtNodeNetwork and no spec (an empty spec is written \`spec: {}\`)\n`);
    const gone = await plugin(['plan', 'ns-node-1', '-f', join(dir, 'nope.yaml')], { 'ns-node-1': [settled()] });
    assert.equal(gone.code, 1);
    assert.match(gone.err, /^error: \S+nope\.yaml: cannot read: ENOENT/);
    const two = join(dir, 'two.yaml');
    await writeFile(two, 'spec: {}\n---\nspec: {}\n');
    assert.match((await plugin(['plan', 'ns-node-1', '-f', two])).err, /2 documents: give one OvirtNodeNetwork \(or one spec\) per call/);

    const invalid = join(dir, 'invalid.yaml');
    await writeFile(invalid, stringify({ apiVersion: 'ovirt.org/v1alpha1', kind: 'OvirtNodeNetwork', spec: { networks: { x: { nic: 'e9' }, y: { nic: 'e1', vlan: -1 } } } }));
    const bad = await plugin(['plan', 'ns-node-1', '-f', invalid], { 'ns-node-1': [settled()] });
    assert.equal(bad.code, 1);
    assert.equal(bad.out, '');
    assert.match(bad.err, /^invalid spec for ns-node-1: 2 errors\n {2}spec\.networks\.x\.nic: NIC e9 does not exist on the node\n {2}spec\.networks\.y\.vlan: must be at least 0\n/);

    const edit = join(dir, 'edit.json');
    const spec = configToSpec(loadRunning('netns'));
    spec.networks.net2!.mtu = 1300;
    await writeFile(edit, JSON.stringify({ spec }));
    const ok = await plugin(['plan', 'ns-node-1', '-f', edit], { 'ns-node-1': [settled()] });
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /^\d+ steps? on ns-node-1, against its reported kernelConfig:\n {3}1\. .*net2/);
    const json = await plugin(['plan', 'ns-node-1', '-f', edit, '-o', 'json'], { 'ns-node-1': [settled()] });
    assert.equal((JSON.parse(json.out) as { desired: { networks: { net2: { mtu: number } } } }).desired.networks.net2.mtu, 1300);
  });

  it('plan --policy: every node the policy is involved with and a summary line each, read with LISTs; -f and --policy exclude each other', async () => {
    const obj = reportedObject('netns', { node: 'ns-node-1' });
    const fleet: FleetObjects = {
      policies: [{ metadata: { name: 'st', generation: 2, creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { networks: { fstore: { nic: 'e3', ipam: { pool: '10.20.0.0/24' } } }, paused: true } }],
      nodes: [{ metadata: { name: 'ns-node-1', resourceVersion: '5' }, spec: {} }],
      onns: [obj],
    };
    const r = await plugin(['plan', '--policy', 'st'], {}, fleet);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^policy st generation 2 \(paused: nothing is written\): 1 matched node\(s\);/);
    assert.match(r.out, /\n {4}1\. add network fstore: bridged on e3, mtu 1500, IPv4 10\.20\.0\.1\//);
    assert.match(r.out, /\nsummary:\n {2}ns-node-1 {2}to be written, held \(paused\) {2}1 step {2}fstore=10\.20\.0\.1\/24/);
    const json = JSON.parse((await plugin(['plan', '--policy', 'st', '-o', 'json'], {}, fleet)).out) as { paused: boolean; nodes: { node: string }[] };
    assert.deepEqual([json.paused, json.nodes.map((n) => n.node)], [true, ['ns-node-1']]);
    const none = await plugin(['plan', '--policy', 'nope'], {}, fleet);
    assert.deepEqual([none.code, none.err], [1, 'error: no OvirtNetworkPolicy named nope (kubectl get onp lists them)\n']);
    const other = await plugin(['plan', 'ns-node-9', '--policy', 'st'], {}, fleet);
    assert.deepEqual([other.code, other.err], [1, 'error: policy st is not involved with node ns-node-9\n']);
    const both = await plugin(['plan', '--policy', 'st', '-f', 'x.yaml'], {}, fleet);
    assert.deepEqual([both.code, both.reads], [1, 0]);
    assert.match(both.err, /give -f FILE \(a spec for one node\) or --policy NAME, not both/);
  });

  it('diff: the report of the node\'s object; stats: one table, or with --watch a table per new sample', async () => {
    const obj = settled();
    const d = await plugin(['diff', 'ns-node-1'], { 'ns-node-1': [obj] });
    assert.equal(d.code, 0, d.err);
    assert.equal(d.out, renderDiff(diffAgainstStatus(requireParts(readReported(obj), 'capabilities', 'kernelConfig'))));

    const once = await plugin(['stats', 'ns-node-1'], { 'ns-node-1': [obj] });
    assert.equal(once.code, 0, once.err);
    assert.match(once.out, /^ns-node-1: sample of .* \(50 s ago\); rates as the agent sampled them/);
    assert.equal(once.reads, 1);

    // The agent writes statistics every 30 s; reads in between see the same sample again.
    const later = reportedObject('netns', { node: 'ns-node-1', seconds: 40, between: (h) => { h.links.e1!.counters.rxBytes += 3_000_000n; } });
    const w = await plugin(['stats', 'ns-node-1', '--watch'], { 'ns-node-1': [obj, obj, later] });
    assert.equal(w.code, 0, w.err);
    assert.equal(w.reads, 3);
    const tables = w.out.split('\n\n');
    assert.equal(tables.length, 2, w.out);
    assert.match(tables[1]!, /^ns-node-1: sample of .*; rates over the 30 s since the previous sample\n/);
    assert.match(tables[1]!, /^e1 +up +10000Mb\/s +100\.0 kB\/s /m);
  });
});

describe('the launcher, bin/kubectl-onn, against an HTTPS server', () => {
  let pki: Pki;
  let server: Server;
  let kubeconfig: string;
  const bin = join(PROJECT_ROOT, 'bin', 'kubectl-onn');
  const objects: Record<string, OnnObject> = {};

  before(async () => {
    pki = await createPki(join(dir, 'pki'));
    objects['ns-node-1'] = settled();
    server = createServer({ cert: await readFile(pki.serverCert), key: await readFile(pki.serverKey), ca: await readFile(pki.caCert), requestCert: true, rejectUnauthorized: true }, (req, res) => {
      const m = /^\/apis\/ovirt\.org\/v1alpha1\/ovirtnodenetworks\/([^/?]+)$/.exec(req.url ?? '');
      const obj = m && req.method === 'GET' ? objects[decodeURIComponent(m[1]!)] : undefined;
      res.writeHead(obj ? 200 : 404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(obj ?? { kind: 'Status', code: 404, message: 'not found' }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    kubeconfig = join(dir, 'kubeconfig');
    // The current context points at nothing: only --context reaches the server.
    await writeFile(kubeconfig, stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'dead',
      clusters: [
        { name: 'dead', cluster: { server: 'https://127.0.0.1:1', 'certificate-authority': pki.caCert } },
        { name: 'test', cluster: { server: `https://127.0.0.1:${port}`, 'certificate-authority': pki.caCert } },
      ],
      users: [{ name: 'admin', user: { 'client-certificate': pki.adminCert, 'client-key': pki.adminKey } }],
      contexts: [{ name: 'dead', context: { cluster: 'dead', user: 'admin' } }, { name: 'test', context: { cluster: 'test', user: 'admin' } }],
    }));
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('--kubeconfig and --context; $KUBECONFIG; plan -f - reads stdin; the current context is used without --context', async () => {
    const tree = await run([bin, 'tree', 'ns-node-1', '--kubeconfig', kubeconfig, '--context', 'test'], { allowFailure: true });
    assert.equal(tree.code, 0, tree.stderr);
    assert.match(tree.stdout, /^e1 {2}nic {2}up {2}mtu 1500/);
    const env = { ...process.env, KUBECONFIG: kubeconfig };
    const spec = stringify({ apiVersion: 'ovirt.org/v1alpha1', kind: 'OvirtNodeNetwork', metadata: { name: 'ns-node-1' }, spec: configToSpec(loadRunning('netns')) });
    const plan = await run([bin, '--context', 'test', 'plan', 'ns-node-1', '-f', '-'], { env, input: spec, allowFailure: true });
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /^nothing to do: ns-node-1 reports what the spec says\n/);
    const dead = await run([bin, 'diff', 'ns-node-1'], { env, allowFailure: true });
    assert.equal(dead.code, 1);
    assert.match(dead.stderr, /^error: .*ECONNREFUSED/);
    const unknown = await run([bin, 'diff', 'ns-node-1', '--context', 'nope'], { env, allowFailure: true });
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, `error: kubeconfig ${kubeconfig}: context "nope" not found\n`);
  });

  it('kubectl finds the plugin on PATH: `kubectl onn` runs it with the arguments after its name', async () => {
    const kubectl = await run(['sh', '-c', 'command -v kubectl'], { allowFailure: true });
    assert.equal(kubectl.code, 0, 'kubectl is not on PATH (scripts/install-host-deps.sh requires it)');
    const env = { ...process.env, PATH: [join(PROJECT_ROOT, 'bin'), process.env.PATH ?? ''].join(delimiter) };
    const r = await run(['kubectl', 'onn', 'diff', 'ns-node-1', '--kubeconfig', kubeconfig, '--context', 'test'], { env, allowFailure: true });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ns-node-1: spec generation 3; the agent acted on it\n/);
    assert.match(r.stdout, /^reached: the reported kernelConfig has what the spec says \(2 networks, 0 bonds\)$/m);
  });
});

describe('packaging', () => {
  it('package.json ships the plugin as a bin (npm links it as node_modules/.bin/kubectl-onn): an executable named kubectl-onn', async () => {
    const pkg = JSON.parse(await readFile(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    const lock = JSON.parse(await readFile(join(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as { packages: { '': { bin: Record<string, string> } } };
    assert.equal(pkg.bin['kubectl-onn'], 'bin/kubectl-onn');
    assert.deepEqual(lock.packages[''].bin, pkg.bin, 'package-lock.json lists the same bins');
    const mode = (await stat(join(PROJECT_ROOT, pkg.bin['kubectl-onn']!))).mode;
    assert.equal(mode & 0o111, 0o111, 'executable by everyone');
  });
});

// `kubectl onn` (issue 15) in the lab: the real kubectl finds the plugin on PATH and runs it
// against the lab's API server, reading what a namespace node's agent reported — tree, plan,
// diff (settled, then drift made by hand) and stats (once and --watch, across two samples).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { stringify } from 'yaml';
import type { Lab } from '../../lab/src/index.js';
import { PROJECT_ROOT } from '../../lab/src/config.js';
import { run, waitFor, type RunResult } from '../../src/util/exec.js';
import { ensureLab, exec, kubectlArgs, OnnDriver, releaseLab } from '../../lab/client/index.js';


let lab: Lab;
let objects: OnnDriver;
let dir: string;
const kubectl = (...args: string[]) => run(kubectlArgs(lab, ...args));
const nsNode = () => lab.state.nodes.filter((n) => n.kind === 'netns')[0]!.name;
// The plugin as a checkout ships it (package.json "bin"; npm links the same file into node_modules/.bin).
const env = () => ({ ...process.env, PATH: [join(PROJECT_ROOT, 'bin'), process.env.PATH ?? ''].join(delimiter) });
/** `kubectl onn ...` through kubectl's plugin lookup; never throws (the exit code is asserted). */
const onn = (args: string[], o: { input?: string; kubeconfigEnv?: boolean } = {}): Promise<RunResult> =>
  run(['kubectl', 'onn', ...args, ...(o.kubeconfigEnv ? [] : ['--kubeconfig', lab.kubeconfig])], {
    env: o.kubeconfigEnv ? { ...env(), KUBECONFIG: lab.kubeconfig } : env(),
    allowFailure: true,
    ...(o.input !== undefined ? { input: o.input } : {}),
  });

const NET = 'onnbr';
const spec = (extra: Record<string, unknown> = {}) => ({
  networks: { [NET]: { nic: 'eth1', bridged: true, bootproto: 'none', ipaddr: '192.0.2.61', netmask: '255.255.255.0' } },
  ...extra,
});

before(async () => {
  lab = await ensureLab();
  dir = await mkdtemp(join(tmpdir(), 'ovnh-kubectl-onn-'));
  const node = nsNode();
  objects = new OnnDriver(lab.kubeconfig);
  await objects.exists(node);
  await objects.setSpec(node, spec());
  await objects.available(node);
  // A device's state comes from statistics, which the agent writes on --statistics-interval and
  // when a device comes, goes, or goes up or down: a new bridge is down until its port's carrier
  // shows, so wait for the sample that has it up.
  await waitFor(`${NET} up in ${node}'s statistics`, async () => {
    const o = JSON.parse((await kubectl('get', 'ovirtnodenetwork', node, '-o', 'json')).stdout) as { status?: { statistics?: Record<string, { state?: string }> } };
    return o.status?.statistics?.[NET]?.state === 'up';
  }, 120_000, 1000);
});

after(async () => {
  await objects.setSpec(nsNode(), {}).catch(() => undefined);
  await objects.available(nsNode()).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
  await releaseLab();
});

describe('kubectl onn against the lab', () => {
  it('tree: the node\'s NICs, and the network\'s bridge over eth1 with its address, from the reported status', async () => {
    const r = await onn(['tree', nsNode()]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.ok(lines.some((l) => /^eth0 {2}nic {2}up {2}mtu 1500\b/.test(l)), r.stdout);
    const i = lines.findIndex((l) => /^eth1 {2}nic {2}up /.test(l));
    assert.ok(i >= 0, r.stdout);
    assert.match(lines[i + 1]!, new RegExp(`^└── ${NET} {2}bridge stp off {2}up {2}mtu 1500 {2}192\\.0\\.2\\.61/24.*\\[network ${NET}\\]$`));
    const context = (await kubectl('config', 'current-context')).stdout.trim();
    const viaEnv = await onn(['tree', nsNode(), '--context', context, '--interface', NET], { kubeconfigEnv: true });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.deepEqual(viaEnv.stdout.trimEnd().split('\n').map((l) => l.match(/^[\s│├└─]*\S+/)![0]), ['eth1', `└── ${NET}`]);
  });

  it('plan: the applied spec plans nothing; an edit lists its steps; an invalid spec exits 1 naming each field', async () => {
    const generation = (await objects.get(nsNode())).metadata.generation;
    const doc = (s: Record<string, unknown>) => stringify({ apiVersion: 'ovirt.org/v1alpha1', kind: 'OvirtNodeNetwork', metadata: { name: nsNode() }, spec: s });
    const same = await onn(['plan', nsNode(), '-f', '-'], { input: doc(spec()) });
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stdout, new RegExp(`^nothing to do: ${nsNode()} reports what the spec says\\n`));
    assert.match(same.stdout, /^note: compared with the reported kernelConfig/m);
    const edit = join(dir, 'edit.yaml');
    await writeFile(edit, doc({ networks: { ...spec().networks, onnv: { nic: 'eth2', vlan: 61, bridged: false, bootproto: 'none', ipaddr: '198.51.100.61', prefix: 24 } } }));
    const steps = await onn(['plan', nsNode(), '-f', edit]);
    assert.equal(steps.code, 0, steps.stderr);
    assert.match(steps.stdout, new RegExp(`^\\d+ steps? on ${nsNode()}, against its reported kernelConfig:\\n`));
    assert.match(steps.stdout, /onnv/);
    const bad = await onn(['plan', nsNode(), '-f', '-'], { input: doc({ networks: { x: { nic: 'eth9' }, y: { nic: 'eth2', vlan: 9999 } } }) });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^ {2}spec\.networks\.x\.nic: NIC eth9 does not exist on the node$/m);
    assert.match(bad.stderr, /^ {2}spec\.networks\.y\.vlan: must be at most 4094$/m);
    assert.equal((await objects.get(nsNode())).metadata.generation, generation, 'plan changes nothing');
  });

  it('diff: reached when settled; a bridge deleted by hand (driftPolicy Report) shows as missing, with the agent\'s Drifted message', async () => {
    const node = nsNode();
    const settled = await onn(['diff', node]);
    assert.equal(settled.code, 0, settled.stderr);
    assert.match(settled.stdout, /^reached: the reported kernelConfig has what the spec says \(1 network, 0 bonds\)$/m);
    assert.match(settled.stdout, /^drift: none reported$/m);
    await objects.setSpec(node, spec({ driftPolicy: 'Report' }));
    await objects.available(node);
    await exec(node, ['ip', 'link', 'del', 'dev', NET]);
    const drifted = await waitFor('the plugin to show the drift', async () => {
      const r = await onn(['diff', node]);
      return r.code === 0 && /^drift \(Degraded\/Drifted; driftPolicy Report: only reported\): /m.test(r.stdout) ? r : undefined;
    }, 90_000, 1000);
    assert.match(drifted.stdout, new RegExp(`^ {2}network ${NET}: in the spec, not on the node$`, 'm'));
    assert.match(drifted.stdout, new RegExp(`network ${NET}: its devices are missing from the kernel`));
    await objects.setSpec(node, spec());
    await objects.available(node);
  });

  it('stats: a table of every interface; --watch prints the next sample with rates between the two', async () => {
    const once = await onn(['stats', nsNode()]);
    assert.equal(once.code, 0, once.stderr);
    assert.match(once.stdout, new RegExp(`^${nsNode()}: sample of \\S+ \\(\\d+ s ago\\); rates as the agent sampled them`));
    assert.match(once.stdout, /^INTERFACE +STATE +SPEED +RX +TX +RX-ERRORS +TX-ERRORS +RX-DROPPED +TX-DROPPED$/m);
    assert.match(once.stdout, /^eth0 +up +\d+Mb\/s +[\d.]+ (B|kB|MB)\/s /m);
    // The agent writes statistics every 30 s (--statistics-interval): wait for a second sample.
    const child = spawn('kubectl', ['onn', 'stats', nsNode(), '--watch', '--interval', '2', '--kubeconfig', lab.kubeconfig], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await waitFor('a second table', () => (/^eth0 /m.test(out.split('\n\n')[1] ?? '') ? true : undefined), 120_000, 500);
    } finally {
      child.kill('SIGINT');
    }
    const second = out.split('\n\n')[1]!;
    assert.match(second, /^\S+: sample of \S+ \(\d+ s ago\); rates over the \d+ s since the previous sample\n/);
    assert.match(second, /^eth0 +up /m);
  });
});

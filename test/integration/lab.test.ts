// The lab itself (issue 2): a real API server answering the real kubectl, a DHCP lease from the
// lab's dnsmasq over a bridge in a namespace node, LLDP from the lab switch to a namespace
// node's receiver, to the DaemonSet agents' status (refreshed only when the switch changes what
// it says) and to the VM node's agent from its own switch, and a bond with a VLAN in the VM node.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { run } from '../../src/util/exec.js';
import { PROJECT_ROOT } from '../../lab/src/config.js';
import { auditLogPath, ensureLab, exec, kubectlArgs, OnnDriver, releaseLab, sh } from '../../lab/client/index.js';
import { ensureLabSwitchLldp, type Lab } from '../../lab/src/index.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { inNetns, waitFor } from '../../src/util/exec.js';
import { netnsOf } from '../../lab/src/config.js';
import {
  SWITCH_LLDP_DIR, SWITCH_SYSTEM_NAME, switchLldpcli, switchPort, switchPortDescription, switchPorts,
} from '../../lab/src/switch-lldp.js';
import { LldpSupervisor } from '../../src/apply/lldpd.js';
import { lldpdStatus } from '../../src/model/lldpd.js';
import { readLldp } from '../../src/observe/host.js';
import { lldpNeighbor, lldpProperty } from '../../src/observe/lldp.js';
import { LldpSchema, type Lldp } from '../../src/api/status.js';

let lab: Lab;
before(async () => {
  lab = await ensureLab();
});
after(releaseLab);

const suffix = randomBytes(2).toString('hex');

describe('lab API server', () => {
  it('answers kubectl with the simulated nodes', async () => {
    const r = await run(kubectlArgs(lab, 'get', 'nodes', '-o', 'jsonpath={.items[*].metadata.name}'));
    const names = r.stdout.split(' ').sort();
    assert.deepEqual(names, lab.state.nodes.map((n) => n.name).sort());
  });

  it('serves discovery (kubectl api-resources)', async () => {
    const r = await run(kubectlArgs(lab, 'api-resources', '-o', 'name'));
    for (const res of ['nodes', 'customresourcedefinitions.apiextensions.k8s.io', 'validatingadmissionpolicies.admissionregistration.k8s.io']) {
      assert.ok(r.stdout.split('\n').includes(res), `api-resources lacks ${res}`);
    }
  });

  it('accepts a CRD and an object of it', async () => {
    const group = `t${suffix}.lab.ovnh`;
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
      metadata: { name: `probes.${group}` },
      spec: {
        group, scope: 'Cluster', names: { plural: 'probes', singular: 'probe', kind: 'Probe' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer', maximum: 10 } } } } } } }],
      },
    };
    try {
      await run(kubectlArgs(lab, 'apply', '-f', '-'), { input: JSON.stringify(crd) });
      await run(kubectlArgs(lab, 'wait', '--for=condition=Established', `crd/probes.${group}`, '--timeout=30s'));
      const obj = { apiVersion: `${group}/v1`, kind: 'Probe', metadata: { name: 'p1' }, spec: { size: 3 } };
      await run(kubectlArgs(lab, 'apply', '-f', '-'), { input: JSON.stringify(obj) });
      const got = await run(kubectlArgs(lab, 'get', `probes.${group}`, 'p1', '-o', 'jsonpath={.spec.size}'));
      assert.equal(got.stdout, '3');
      // The schema is enforced by the real server.
      const bad = await run(kubectlArgs(lab, 'apply', '-f', '-'), { input: JSON.stringify({ ...obj, metadata: { name: 'p2' }, spec: { size: 11 } }), allowFailure: true });
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /spec\.size/);
    } finally {
      await run(kubectlArgs(lab, 'delete', 'crd', `probes.${group}`, '--ignore-not-found'), { allowFailure: true });
    }
  });
});

describe('namespace node', () => {
  it('gets a DHCP lease from the lab dnsmasq over a bridge', async () => {
    const node = lab.state.nodes.find((n) => n.kind === 'netns')!.name;
    const br = `tb${suffix}`;
    try {
      // dhcpcd keeps its state under /run and /var/lib/dhcpcd: give it private, empty ones
      // (`ip netns exec` runs us in a mount namespace of our own).
      const r = await sh(node, `
        ip link add ${br} type bridge
        ip link set eth2 master ${br}
        ip link set ${br} up
        mount -t tmpfs none /run && mount -t tmpfs none /var/lib/dhcpcd
        dhcpcd -1 -4 --noarp -C resolv.conf -C mtu -t 30 ${br} >/dev/null 2>&1
        ip -json -4 addr show dev ${br}`);
      const addr = (JSON.parse(r.stdout) as { addr_info: { local: string; prefixlen: number; dynamic?: boolean }[] }[])[0]!.addr_info[0]!;
      assert.match(addr.local, /^10\.89\.0\.1\d\d$/);
      assert.equal(addr.prefixlen, 24);
      assert.equal(addr.dynamic, true);
      const route = await exec(node, ['ip', '-json', 'route', 'show', 'default']);
      assert.equal((JSON.parse(route.stdout) as { gateway: string; dev: string }[])[0]?.gateway, '10.89.0.1');
    } finally {
      await sh(node, `ip link del ${br} 2>/dev/null; ip link set eth2 up`, { allowFailure: true });
    }
  });
});

describe('LLDP between the lab switch and a namespace node', () => {
  it("the agent's receive-only lldpd hears the switch's system name and this port's description (status.lldp)", async () => {
    // Brought to this lab if it was up before the step existed; a no-op otherwise.
    await ensureLabSwitchLldp();
    const node = lab.state.nodes.find((n) => n.kind === 'netns')!.name;
    const ns = netnsOf(node);
    const stateDir = await mkdtemp(join(tmpdir(), 'ovnh-t-lldp-'));
    const sup = new LldpSupervisor({ stateDir, wrap: (a) => inNetns(ns, a) });
    try {
      assert.equal(await sup.ensure({ nics: ['eth0', 'eth1'], transmit: false }), true);
      const pid = (await lldpdStatus(stateDir))!.pid!;
      assert.equal(await sup.ensure({ nics: ['eth0', 'eth1'], transmit: false }), false, 'the same spec keeps it');
      assert.equal((await lldpdStatus(stateDir))!.pid, pid);
      const heard = (l: Lldp) => ['eth0', 'eth1'].every((n) => lldpProperty(l[n], 'System Name', 'system name'));
      const lldp = await waitFor('both NICs to hear the switch', async () => {
        const l = await readLldp(stateDir, ['eth0', 'eth1', 'eth2'], { netns: ns });
        return heard(l) ? l : undefined;
      }, 15_000, 200);
      assert.ok(LldpSchema.safeParse(lldp).success);
      for (const nic of [0, 1]) {
        const info = lldp[`eth${nic}`];
        assert.equal(info?.enabled, true);
        assert.deepEqual(lldpNeighbor(info), { switch: SWITCH_SYSTEM_NAME, port: switchPortDescription(node, nic) });
      }
      // Not told to listen on eth2: reported, disabled, nothing read from it.
      assert.deepEqual(lldp.eth2, { enabled: false, tlvs: [] });
      // Receive-only: the switch has heard nothing from the node's ports.
      const sw = await run(['lldpcli', '-u', join(SWITCH_LLDP_DIR, 'lldpd.socket'), '-f', 'json0', 'show', 'neighbors']);
      const ports = switchPorts(lab.state.nodes).filter((p) => p.description.startsWith(`${node} `)).map((p) => p.port);
      for (const p of ports) assert.equal(sw.stdout.includes(`"${p}"`), false, `${p} heard the node`);
    } finally {
      await sup.stop();
      await rm(stateDir, { recursive: true, force: true });
    }
    assert.equal(await lldpdStatus(stateDir), undefined, 'stopped and its files gone');
  });
});

/** The agents' status patches of one object in the audit log, from line `from` on (the lab records their bodies). */
async function statusPatches(node: string, from: number): Promise<{ ops: { op: string; path: string; value?: unknown }[] }[]> {
  const lines = (await readFile(auditLogPath(lab), 'utf8')).split('\n').filter(Boolean).slice(from);
  return lines.map((l) => JSON.parse(l) as { stage: string; verb: string; user: { username: string }; objectRef?: { resource?: string; subresource?: string; name?: string }; requestObject?: unknown; responseStatus?: { code?: number } })
    .filter((e) => e.stage === 'ResponseComplete' && e.verb === 'patch' && e.objectRef?.resource === 'ovirtnodenetworks' &&
      e.objectRef.subresource === 'status' && e.objectRef.name === node && e.user.username.endsWith(':handler') && e.responseStatus?.code === 200)
    .map((e) => ({ ops: e.requestObject as { op: string; path: string; value?: unknown }[] }));
}
const auditLines = async () => (await readFile(auditLogPath(lab), 'utf8')).split('\n').filter(Boolean).length;
/** Whether a status patch (JSON patch ops) writes status.lldp: the field itself, or a whole status that holds it. */
const writesLldp = (p: { ops: { path: string; value?: unknown }[] }) =>
  p.ops.some((o) => o.path.startsWith('/status/lldp') || (o.path === '/status' && typeof o.value === 'object' && o.value !== null && 'lldp' in o.value));

describe('LLDP in the DaemonSet agents\' status', () => {
  it('the pod writes status.lldp from the switch, and writes it again only when the switch changes what it says', async (t) => {
    const i = lab.state.nodes.findIndex((n) => n.agent === 'pod');
    if (i < 0) return t.skip('a lab started with --process-agents has no DaemonSet pods');
    await ensureLabSwitchLldp();
    const node = lab.state.nodes[i]!.name;
    const onn = new OnnDriver(lab.kubeconfig);
    const port = switchPort(i + 1, 1);
    const original = switchPortDescription(node, 1);
    const moved = `${original} moved-${suffix}`;
    const cli = (desc: string) => run(switchLldpcli(SWITCH_LLDP_DIR, 'configure', 'ports', port, 'lldp', 'portdescription', desc));
    // The agent reads lldpd on its statistics interval (30 s in the DaemonSet): a few of them.
    const shows = (desc: string) => waitFor(`${node}'s status.lldp.eth1 to show "${desc}"`, async () => {
      const o = await onn.get(node);
      return lldpNeighbor(o.status?.lldp?.eth1)?.port === desc ? o : undefined;
    }, 150_000, 1000);
    try {
      const first = await shows(original);
      assert.ok(LldpSchema.safeParse(first.status?.lldp).success);
      for (const nic of [0, 1, 2]) {
        assert.equal(first.status?.lldp?.[`eth${nic}`]?.enabled, true, `eth${nic} listened on`);
        assert.deepEqual(lldpNeighbor(first.status?.lldp?.[`eth${nic}`]), { switch: SWITCH_SYSTEM_NAME, port: switchPortDescription(node, nic) });
      }
      // The switch says something else on eth1's port: the status follows, in one write.
      const mark = await auditLines();
      await cli(moved);
      const after = await shows(moved);
      assert.deepEqual(after.status?.lldp?.eth0, first.status?.lldp?.eth0, 'the other NICs as they were');
      const carrying = (await statusPatches(node, mark)).filter(writesLldp);
      assert.equal(carrying.length, 1, `one status write carried lldp since the change (${carrying.length})`);
      // Nothing changes now: the agent's next status write (statistics, on their interval, where
      // it reads lldpd again) moves the resourceVersion and carries no lldp.
      const quiet = await auditLines();
      const later = await waitFor(`another status write of ${node}'s agent`, async () => {
        const ps = await statusPatches(node, quiet);
        return ps.length >= 1 ? ps : undefined;
      }, 150_000, 1000);
      assert.deepEqual(later.filter(writesLldp), [], 'no status write carried an unchanged lldp');
      const now = await onn.get(node);
      assert.notEqual(now.metadata.resourceVersion, after.metadata.resourceVersion, 'the status was written meanwhile');
      assert.deepEqual(now.status?.lldp, after.status?.lldp);
    } finally {
      await cli(original);
    }
  });
});

describe('LLDP between the VM node and its own switch', () => {
  it("the VM node's agent (receive-only) reports the switch's system name and each data NIC's port description", async () => {
    // The VM's switch lldpd is started at boot (guest-boot); brought to a VM booted before that.
    await ensureLabSwitchLldp();
    const i = lab.state.nodes.findIndex((n) => n.kind === 'vm');
    const spec = lab.state.nodes[i]!;
    const node = spec.name;
    const onn = new OnnDriver(lab.kubeconfig);
    const nics = Array.from({ length: spec.dataNics }, (_, k) => k + 1);
    // The agent reads lldpd on its statistics interval (30 s) and runs under TCG: some minutes at most.
    const o = await waitFor(`${node}'s status.lldp to show its switch on eth1..eth${spec.dataNics}`, async () => {
      const x = await onn.get(node);
      return nics.every((n) => lldpNeighbor(x.status?.lldp?.[`eth${n}`])) ? x : undefined;
    }, 240_000, 2000);
    const lldp = o.status!.lldp!;
    assert.ok(LldpSchema.safeParse(lldp).success);
    for (const n of nics) {
      assert.equal(lldp[`eth${n}`]?.enabled, true);
      assert.deepEqual(lldpNeighbor(lldp[`eth${n}`]), { switch: SWITCH_SYSTEM_NAME, port: switchPortDescription(node, n) });
    }
    // eth0 is QEMU's NIC, on no switch port: listened on, nothing heard.
    assert.deepEqual(lldp.eth0, { enabled: true, tlvs: [] });
    // Receive-only: the VM's switch has heard nothing from the node.
    const sw = await exec(node, switchLldpcli(SWITCH_LLDP_DIR, '-f', 'json0', 'show', 'neighbors'));
    for (const n of nics) assert.equal(sw.stdout.includes(`"${switchPort(i + 1, n)}"`), false, `${switchPort(i + 1, n)} heard the node`);
  });
});

describe('VM node', () => {
  it('runs Debian\'s kernel with bonding and 802.1q: a bond with a VLAN, read back with ip -json', async () => {
    const node = lab.state.nodes.find((n) => n.kind === 'vm')!.name;
    const bond = `tbond${suffix}`.slice(0, 15);
    try {
      await sh(node, `
        ip link add ${bond} type bond mode active-backup miimon 100
        ip link set eth1 down && ip link set eth1 master ${bond}
        ip link set eth2 down && ip link set eth2 master ${bond}
        ip link set ${bond} up
        ip link add link ${bond} name ${bond.slice(0, 10)}.100 type vlan id 100
        ip link set ${bond.slice(0, 10)}.100 up`);
      const r = await exec(node, ['ip', '-json', '-details', 'link', 'show']);
      const links = JSON.parse(r.stdout) as { ifname: string; master?: string; link?: string; linkinfo?: { info_kind?: string; info_data?: { mode?: string; id?: number; miimon?: number } } }[];
      const b = links.find((l) => l.ifname === bond);
      assert.equal(b?.linkinfo?.info_kind, 'bond');
      assert.equal(b?.linkinfo?.info_data?.mode, 'active-backup');
      assert.equal(b?.linkinfo?.info_data?.miimon, 100);
      assert.deepEqual(links.filter((l) => l.master === bond).map((l) => l.ifname).sort(), ['eth1', 'eth2']);
      const v = links.find((l) => l.ifname === `${bond.slice(0, 10)}.100`);
      assert.equal(v?.linkinfo?.info_kind, 'vlan');
      assert.equal(v?.linkinfo?.info_data?.id, 100);
      assert.equal(v?.link, bond);
      const kernel = await exec(node, ['uname', '-r']);
      assert.notEqual(kernel.stdout.trim(), (await run(['uname', '-r'])).stdout.trim(), 'the VM runs its own kernel');
    } finally {
      await sh(node, `ip link del ${bond} 2>/dev/null; ip link set eth1 up; ip link set eth2 up`, { allowFailure: true });
    }
  });
});

describe('lab exec', () => {
  it('forwards standard input and returns the command\'s exit code, on namespace and VM nodes', async () => {
    const cli = [process.execPath, join(PROJECT_ROOT, 'bin', 'ovirt-node-network-handler.js'), 'lab', 'exec'];
    for (const n of [lab.state.nodes.find((x) => x.kind === 'netns'), lab.state.nodes.find((x) => x.kind === 'vm')]) {
      if (!n) continue;
      const echo = await run([...cli, n.name, '--', 'cat'], { input: `hello ${n.name}\n` });
      assert.equal(echo.stdout, `hello ${n.name}\n`, n.name);
      const code = await run([...cli, n.name, '--', 'sh', '-c', 'read x; exit $x'], { input: '3\n', allowFailure: true });
      assert.equal(code.code, 3, n.name);
    }
  });
});

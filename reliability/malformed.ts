// Reliability: malformed objects written straight to the API server. What the schema can tell
// must be refused there with the field named (kubectl's error); what only the node can tell
// (values of the right type that make no sense on this host) must come back as InvalidSpec naming
// the field, with the host untouched; through all of it the agent stays up (same PID) and its
// memory stays bounded.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NETWORKS_MAX } from '../src/api/spec.js';
import { run } from '../src/util/exec.js';
import { agentPid, failedReason, hostSnapshot, kubectlArgs, namespaceNodes, OnnDriver, procUsage, requireLab } from '../lab/client/index.js';
import type { ReliabilityRow } from '../kit/report.js';
import type { Lab } from '../lab/src/index.js';

const net = (n: Record<string, unknown>) => ({ networks: { m1: { bridged: true, bootproto: 'none', ...n } } });

/** Right types, wrong meaning: the agent must name the field. */
export const NODE_REJECTS: { name: string; spec: Record<string, unknown>; field: RegExp }[] = [
  { name: 'unknown NIC', spec: net({ nic: 'eth77' }), field: /spec\.networks\.m1\.nic/ },
  { name: 'bond option not of its mode', spec: { bondings: { bond5: { nics: ['eth1'], options: 'mode=active-backup lacp_rate=fast' } } }, field: /spec\.bondings\.bond5\.options/ },
  { name: 'bond option value nonsense', spec: { bondings: { bond5: { nics: ['eth1'], options: 'mode=banana' } } }, field: /spec\.bondings\.bond5\.options/ },
  { name: 'bridge option unknown', spec: net({ bridgeOpts: 'no_such_knob=1' }), field: /spec\.networks\.m1\.bridgeOpts/ },
  { name: 'gateway outside the subnet', spec: net({ ipaddr: '10.96.0.2', netmask: '255.255.255.0', gateway: '10.97.0.1' }), field: /spec\.networks\.m1\.gateway/ },
  { name: 'IPv4 address that is not one', spec: net({ ipaddr: '10.96.0.300', netmask: '255.255.255.0' }), field: /spec\.networks\.m1\.ipaddr/ },
  { name: 'netmask not contiguous', spec: net({ ipaddr: '10.96.0.2', netmask: '255.0.255.0' }), field: /spec\.networks\.m1\.netmask/ },
  { name: 'same NIC in two bonds', spec: { bondings: { bond5: { nics: ['eth1'] }, bond6: { nics: ['eth1'] } } }, field: /spec\.bondings\.bond[56]\.nics/ },
  { name: `${NETWORKS_MAX} networks (the maximum), every one on a missing NIC`, spec: { networks: Object.fromEntries(Array.from({ length: NETWORKS_MAX }, (_, i) => [`big${i}`, { nic: 'eth77', bridged: true, bootproto: 'none' }])) }, field: /spec\.networks\.big\d+\.nic/ },
];

/** What the API server's schema refuses: a JSON merge patch of the spec, and the field its error must name. */
export const API_REJECTS: { name: string; patch: Record<string, unknown>; field: RegExp }[] = [
  { name: 'VLAN id as a string', patch: net({ nic: 'eth1', vlan: 'ten' }), field: /vlan/ },
  { name: 'MTU as a boolean', patch: net({ mtu: true }), field: /mtu/ },
  { name: 'networks as a list', patch: { networks: ['a', 'b'] }, field: /spec\.networks/ },
  { name: 'VLAN 5000', patch: net({ nic: 'eth1', vlan: 5000 }), field: /vlan/ },
  { name: 'bootproto "static"', patch: net({ bootproto: 'static' }), field: /bootproto/ },
  { name: '10 000 networks', patch: { networks: Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`n${i}`, {}])) }, field: /spec\.networks|too many|Too many|maxProperties|must have at most/ },
  { name: 'a network name that is no interface name', patch: { networks: { 'this-name-is-far-too-long': {} } }, field: /spec\.networks/ },
];

async function rssMb(lab: Lab, node: string): Promise<number> {
  const pid = await agentPid(lab, node);
  if (pid === undefined) throw new Error(`${node} has no running agent`);
  return (await procUsage(pid)).rssMb;
}

export async function malformedObjects(o: { log?: (l: string) => void }): Promise<ReliabilityRow[]> {
  const lab = await requireLab();
  const onn = new OnnDriver(lab.kubeconfig);
  const node = namespaceNodes(lab)[1] ?? namespaceNodes(lab)[0]!;
  await onn.apply(node, {});
  const pid = await agentPid(lab, node);
  const rss0 = await rssMb(lab, node);
  let rssMax = rss0;
  const rows: ReliabilityRow[] = [];

  let survived = 0;
  const notes: string[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'ovnh-malformed-'));
  for (const c of API_REJECTS) {
    // kubectl with a merge patch read from stdin: what a user would do, and the error they would see.
    const file = join(dir, 'patch.json');
    await writeFile(file, JSON.stringify({ spec: c.patch }));
    const r = await run(kubectlArgs(lab, 'patch', 'ovirtnodenetwork', node, '--type=merge', `--patch-file=${file}`), { allowFailure: true });
    const ok = r.code !== 0 && c.field.test(r.stderr);
    if (ok) survived++;
    else notes.push(`${c.name}: ${r.code === 0 ? 'accepted' : r.stderr.trim().slice(0, 200)}`);
    o.log?.(`API refuses ${c.name}: ${ok ? 'yes' : 'NO'} — ${r.stderr.trim().split('\n')[0]?.slice(0, 160)}`);
  }
  await rm(dir, { recursive: true, force: true });
  rows.push({ experiment: 'malformed objects', case: 'wrong types, out-of-range values, 10 000 networks: refused by the API server with the field named', tried: API_REJECTS.length, survived, lost: API_REJECTS.length - survived, note: notes[0] ?? 'every write refused, field named' });

  survived = 0;
  notes.length = 0;
  for (const c of NODE_REJECTS) {
    const before = await hostSnapshot(node);
    let gen: number;
    try {
      gen = await onn.setSpec(node, c.spec);
    } catch (e) {
      // Refused already by the API server's schema (CEL rules, patterns): just as good, if it names the field.
      const body = String((e as { body?: unknown }).body ?? (e as Error).message);
      const named = c.field.test(body.replace(/\\"/g, '"')) || c.field.test(body.replace(/\[(\d+)\]/g, '.$1'));
      if (named) survived++;
      else notes.push(`${c.name}: refused by the API server without the field: ${body.slice(0, 160)}`);
      o.log?.(`API server refuses ${c.name}: ${named ? 'field named' : 'field NOT named'}`);
      continue;
    }
    const obj = await onn.waitForGeneration(node, gen, 120_000);
    rssMax = Math.max(rssMax, await rssMb(lab, node));
    const msg = obj.status?.setupStatus?.Failed?.message ?? '';
    const problems: string[] = [];
    if (failedReason(obj) !== 'InvalidSpec') problems.push(`reason ${failedReason(obj) ?? 'none (applied)'}`);
    if (!c.field.test(msg)) problems.push(`message does not name the field: ${msg.slice(0, 160)}`);
    if (msg.length > 8192) problems.push(`message of ${msg.length} bytes`);
    if ((await hostSnapshot(node)) !== before) problems.push('host changed');
    if ((await agentPid(lab, node)) !== pid) problems.push('agent restarted');
    if (!problems.length) survived++;
    else notes.push(`${c.name}: ${problems.join('; ')}`);
    o.log?.(`agent rejects ${c.name}: ${problems.length ? problems.join('; ') : `yes — ${msg.slice(0, 120)}`}`);
  }
  rows.push({
    experiment: 'malformed objects', case: `valid types, invalid on this node (incl. ${NETWORKS_MAX} networks): InvalidSpec naming the field (or refused by the API server), host untouched`, tried: NODE_REJECTS.length, survived, lost: NODE_REJECTS.length - survived,
    note: notes[0] ?? `agent up throughout (same PID); RSS ${rss0.toFixed(0)} → max ${rssMax.toFixed(0)} MB`,
  });
  await onn.apply(node, {});
  return rows;
}

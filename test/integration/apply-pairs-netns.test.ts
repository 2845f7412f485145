// A sample of the random config pairs of test/unit/apply-lowering-properties.test.ts, applied to
// a real kernel: a namespace with six veth NICs, the management one with its address, default
// route and a service route, as the kernel model has them. For each pair, running then desired
// then running again through the `apply` CLI: every apply succeeds, the kernel reads back as the
// config just applied, and the round trip leaves the node as the first apply made it.
// This machine's kernel has no bonding, 802.1q or dummy (docs/benchmarks.md, lab facts), so the
// pairs here are bridges, bridgeless networks, addresses, routes and MTUs on NICs; bonds and
// VLANs run in the lab VM (apply-vm.test.ts). DHCP is left out (no server in the namespace).
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { RunningConfig } from '../../src/api/config.js';
import { configToSpec } from '../../src/plan/canonicalize.js';
import { run } from '../../src/util/exec.js';
import { buildConfig, FOREIGN_BOND, NICS, rawConfig } from '../helpers/configs.js';
import { BIN, ROOT } from './apply-support.js';

const SAMPLE = Number(process.env.PAIRS_SAMPLE ?? 12);
const SEED = Number(process.env.PAIRS_SEED ?? 20261201);
const id = randomBytes(3).toString('hex');
const NS = `ovnh-t-pairs-${id}`;
const DIR = join(ROOT, '.tmp-tests', `pairs-${id}`);

/** The generator's configs with what this kernel can carry: no bonds, no VLANs, no DHCP. */
const hostConfig = rawConfig
  .map((r) => buildConfig({ ...r, slaveOf: r.slaveOf.map(() => -1), networks: r.networks.map((n) => n && { ...n, vlan: undefined }) }))
  .map((c) => {
    for (const [name, n] of Object.entries(c.networks)) {
      if (n.bonding === FOREIGN_BOND) delete c.networks[name];
      n.bootproto = 'none';
      n.dhcpv6 = false;
    }
    return c;
  });

const PAIRS = fc.sample(fc.tuple(hostConfig, hostConfig), { seed: SEED, numRuns: SAMPLE });

async function freshNode(): Promise<void> {
  await run(['ip', 'netns', 'del', NS], { allowFailure: true });
  await run(['ip', 'netns', 'add', NS]);
  const lines = ['link set lo up'];
  NICS.forEach((n, i) => lines.push(`link add ${n} address 02:00:00:00:00:${10 + i} type veth peer name p${i}`, `link set p${i} up`, `link set ${n} up`));
  lines.push('addr add 192.0.2.10/24 dev eth0', 'route add default via 192.0.2.1 dev eth0 proto boot', 'route add 10.96.0.0/24 via 192.0.2.1 dev eth0 proto boot');
  await run(['ip', '-n', NS, '-batch', '-'], { input: lines.join('\n') + '\n' });
  await mkdir(`/etc/netns/${NS}`, { recursive: true });
  await writeFile(`/etc/netns/${NS}/resolv.conf`, 'nameserver 192.0.2.53\n');
  await rm(join(DIR, 'state'), { recursive: true, force: true });
}

async function cli(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(['ip', 'netns', 'exec', NS, process.execPath, BIN, ...args], { allowFailure: true, ...(input !== undefined ? { input } : {}) });
}

async function apply(cfg: RunningConfig): Promise<void> {
  const r = await cli(['apply', '-f', '-', '--state-dir', join(DIR, 'state'), '-q'], JSON.stringify(configToSpec(cfg)));
  assert.equal(r.code, 0, `apply: ${r.stdout}${r.stderr}`);
}

async function show(): Promise<{ kernelConfig: RunningConfig; capabilities: { nameservers: string[] } }> {
  const r = await cli(['show', '--json', '--state-dir', join(DIR, 'state')]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { kernelConfig: RunningConfig; capabilities: { nameservers: string[] } };
}

async function readsBackAs(cfg: RunningConfig, label: string): Promise<void> {
  assert.deepEqual((await show()).kernelConfig, cfg, `${label}: the kernel reads back as the config`);
}

/** What the round trip must leave as it found: links, addresses and routes of the namespace. */
async function snapshot(): Promise<unknown> {
  const [links, addrs, r4, r6] = await Promise.all([
    run(['ip', '-n', NS, '-d', '-j', 'link', 'show']), run(['ip', '-n', NS, '-j', 'addr', 'show']),
    run(['ip', '-n', NS, '-4', '-j', 'route', 'show', 'table', 'all']), run(['ip', '-n', NS, '-6', '-j', 'route', 'show', 'table', 'all']),
  ]);
  type L = { ifname: string; mtu: number; flags: string[]; master?: string; address?: string; linkinfo?: { info_kind?: string } };
  const out: Record<string, unknown> = {};
  for (const l of JSON.parse(links.stdout) as L[]) {
    const portless = l.linkinfo?.info_kind === 'bridge';
    out[l.ifname] = { mtu: l.mtu, up: l.flags.includes('UP'), master: l.master, kind: l.linkinfo?.info_kind, ...(portless ? {} : { mac: l.address }) };
  }
  type A = { ifname: string; addr_info: { local: string; prefixlen: number; scope: string }[] };
  const addresses = (JSON.parse(addrs.stdout) as A[]).flatMap((a) => a.addr_info.filter((x) => x.scope === 'global').map((x) => `${a.ifname} ${x.local}/${x.prefixlen}`)).sort();
  type R = { dst: string; gateway?: string; dev?: string; table?: string; protocol?: string; type?: string };
  const routes = [...JSON.parse(r4.stdout), ...JSON.parse(r6.stdout)].filter((r: R) => (r.table ?? 'main') !== 'local' && r.protocol !== 'kernel' && r.type !== 'multicast' && !/^fe80|^ff00/.test(r.dst))
    .map((r: R) => `${r.table ?? 'main'} ${r.dst} via ${r.gateway ?? '-'} dev ${r.dev ?? '-'} proto ${r.protocol ?? '-'}`).sort();
  return { links: out, addresses, routes };
}

describe(`random config pairs on a real kernel (${SAMPLE}, seed ${SEED})`, () => {
  before(async () => mkdir(DIR, { recursive: true }));
  after(async () => {
    await run(['ip', 'netns', 'del', NS], { allowFailure: true });
    await rm(`/etc/netns/${NS}`, { recursive: true, force: true });
    await rm(DIR, { recursive: true, force: true });
  });

  PAIRS.forEach(([running, desired], i) => {
    it(`pair ${i}: ${Object.keys(running.networks).length}+${Object.keys(running.bondings).length} -> ${Object.keys(desired.networks).length}+${Object.keys(desired.bondings).length} networks+bonds`, async () => {
      await freshNode();
      await apply(running);
      await readsBackAs(running, 'running');
      const before = await snapshot();
      await apply(desired);
      await readsBackAs(desired, 'desired');
      await apply(running);
      await readsBackAs(running, 'running again');
      assert.deepEqual(await snapshot(), before, 'the round trip leaves the node as the first apply made it');
    });
  });
});

// The largest spec the CRD accepts on a namespace node, through the API (issue 17): NETWORKS_MAX
// bridged networks with static IPv4 and IPv6 (this kernel has no bonding or 802.1q, so the
// largest shape it can carry; the largest shape of all is the unit test's). The status is
// written (the generation Available), statistics keep moving, and the object stays within its
// budget as the API server stores it; then all of it is removed.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { NETWORKS_MAX } from '../../src/api/spec.js';
import { OBJECT_BUDGET_BYTES } from '../../src/report/status-budget.js';
import type { Lab } from '../../lab/src/index.js';
import { run, waitFor } from '../../src/util/exec.js';
import { ensureLab, isAvailable, kubectlArgs, OnnDriver, releaseLab } from '../../lab/client/index.js';

let lab: Lab;
let onn: OnnDriver;
const node = () => lab.state.nodes.filter((n) => n.kind === 'netns').at(-1)!.name;

before(async () => {
  lab = await ensureLab();
  onn = new OnnDriver(lab.kubeconfig);
});

after(async () => {
  if (lab) await onn.apply(node(), {}, 600_000).catch(() => undefined);
  await releaseLab();
});

/** The object as the API server stores it: compact JSON, from kubectl. */
async function storedBytes(): Promise<number> {
  const r = await run(kubectlArgs(lab, 'get', 'ovirtnodenetwork', node(), '-o', 'json'));
  return Buffer.byteLength(JSON.stringify(JSON.parse(r.stdout)));
}

it(`${NETWORKS_MAX} networks: the status is written, statistics move, the object stays within the budget`, { timeout: 1_200_000 }, async () => {
  const networks = Object.fromEntries(Array.from({ length: NETWORKS_MAX }, (_, i) => [
    `sc${i}`, { bridged: true, bootproto: 'none', ipaddr: `10.${100 + (i >> 8)}.${i & 255}.1`, netmask: '255.255.255.0', ipv6addr: `fd99:${i.toString(16)}::1/64`, mtu: 1500 },
  ]));
  const obj = await onn.apply(node(), { networks }, 600_000);
  assert.ok(isAvailable(obj), JSON.stringify(obj.status?.setupStatus));
  assert.equal(Object.keys(obj.status?.kernelConfig?.networks ?? {}).length, NETWORKS_MAX, 'kernelConfig is reported at this size');
  const bytes = await storedBytes();
  assert.ok(bytes <= OBJECT_BUDGET_BYTES, `${bytes} bytes > ${OBJECT_BUDGET_BYTES}`);
  const first = obj.status?.statisticsTime;
  assert.ok(obj.status?.statistics?.eth0 && first !== undefined, 'statistics are written');
  // The agent writes statistics every --statistics-interval (30 s): the next sample arrives (only
  // the entries that changed are rewritten; statisticsTime is the sample's).
  const later = await waitFor('statistics to move', async () => {
    const t = (await onn.get(node())).status?.statisticsTime;
    return t !== undefined && t > first ? t : undefined;
  }, 120_000, 2000);
  assert.ok(later > first);
  assert.ok((await storedBytes()) <= OBJECT_BUDGET_BYTES);
  const truncated = (await onn.get(node())).status?.conditions?.find((c) => c.type === 'StatusTruncated');
  // Whether detail was left out is the reporter's call; when it was, the condition says so.
  if (truncated?.status === 'True') assert.match(truncated.message ?? '', /left out/);
  const removed = await onn.apply(node(), {}, 600_000);
  assert.ok(isAvailable(removed));
  assert.deepEqual(removed.status?.kernelConfig?.networks, {});
});

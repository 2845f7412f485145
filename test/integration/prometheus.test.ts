// The product's alert rules in a real Prometheus (Debian's), in the lab (issue 15): it scrapes
// every node's agent (`up` is 1 for each), and a ConnectivityLost rollback on a namespace node
// fires OvnhConnectivityRollback for that node.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { ensurePrometheus, type Lab } from '../../lab/src/index.js';
import { promAlerts, promQuery } from '../../lab/src/prometheus.js';
import { AGENT_JOB } from '../../src/monitoring/prometheus-config.js';
import { waitFor } from '../../src/util/exec.js';
import { ensureLab, failedReason, OnnDriver, releaseLab } from '../../lab/client/index.js';

let lab: Lab;
let onn: OnnDriver;
const nsNode = () => lab.state.nodes.filter((n) => n.kind === 'netns')[0]!.name;

before(async () => {
  lab = await ensureLab();
  onn = new OnnDriver(lab.kubeconfig);
  await ensurePrometheus();
});

after(async () => {
  if (lab) await onn.apply(nsNode(), {}).catch(() => undefined);
  await releaseLab();
});

it('scrapes the agent of every node: up is 1 for each', { timeout: 180_000 }, async () => {
  const want = lab.state.nodes.map((n) => n.name).sort();
  const up = await waitFor('up = 1 for every node', async () => {
    const r = await promQuery(`up{job="${AGENT_JOB}"}`);
    const ok = r.filter((s) => s.value[1] === '1').map((s) => s.metric.node!).sort();
    return ok.length === want.length ? ok : undefined;
  }, 120_000, 1000);
  assert.deepEqual(up, want);
});

it('a connectivity rollback on a namespace node fires OvnhConnectivityRollback for it', { timeout: 300_000 }, async () => {
  const node = nsNode();
  // The management address moved to another subnet on a bridge over eth0: the API is cut off.
  const gen = await onn.setSpec(node, { networks: { mgmt: { nic: 'eth0', bridged: true, bootproto: 'none', ipaddr: '10.77.0.5', netmask: '255.255.255.0' } }, connectivityCheck: { timeoutSeconds: 10 } });
  const obj = await onn.waitForGeneration(node, gen, 120_000);
  assert.equal(failedReason(obj), 'ConnectivityLost');
  const alert = await waitFor('OvnhConnectivityRollback firing', async () => {
    const a = (await promAlerts()).find((x) => x.labels.alertname === 'OvnhConnectivityRollback' && x.labels.node === node && x.state === 'firing');
    return a;
  }, 120_000, 1000);
  assert.equal(alert.labels.severity, 'warning');
  // Not for the other nodes: nothing was rolled back there.
  const others = (await promAlerts()).filter((x) => x.labels.alertname === 'OvnhConnectivityRollback' && x.labels.node !== node);
  assert.deepEqual(others, []);
});

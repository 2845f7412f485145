// The lab's Prometheus (lab up --prometheus): Debian's, on this machine's loopback, scraping
// every node's agent and loading deploy/monitoring/rules.yaml — the alert rules the product
// ships. Each agent's /metrics (port 9187 inside its node) is forwarded to 127.0.0.1: a
// namespace node's through a unix socket (which crosses network namespaces, as the API server's
// forward does), the VM's by QEMU (vm.ts).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inNetns, waitFor } from '../../src/util/exec.js';
import { prometheusArgv, prometheusConfig, type AgentEndpoint } from '../../src/monitoring/prometheus-config.js';
import { mgmtAddress, NET, PROJECT_ROOT, SWITCH_NS, type NodeSpec } from './config.js';
import { startDaemon } from './daemon.js';
import type { StateRecorder } from './state.js';

export const RULES_FILE = join(PROJECT_ROOT, 'deploy', 'monitoring', 'rules.yaml');
export const PROMETHEUS_URL = `http://127.0.0.1:${NET.prometheusPort}`;

/** Where node `index` (1-based over all nodes) has its agent's metrics on this machine. */
export function metricsForward(index: number): string {
  return `127.0.0.1:${NET.metricsForwardBase + index}`;
}

/** Starts the forwards and Prometheus; resolves when it is ready. Recorded: `lab down` stops them. */
export async function startPrometheus(labDir: string, nodes: readonly NodeSpec[], rec: StateRecorder): Promise<string> {
  const dir = join(labDir, 'prometheus');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const agents: AgentEndpoint[] = [];
  for (const [i, n] of nodes.entries()) {
    const local = metricsForward(i + 1);
    if (n.kind === 'netns') {
      const sock = join(dir, `${n.name}.sock`);
      await startDaemon(rec, {
        name: `metrics-forward-${n.name}`,
        argv: inNetns(SWITCH_NS, [
          'socat',
          `UNIX-LISTEN:${sock},fork,unlink-early,mode=600`,
          `TCP:${mgmtAddress(i + 1)}:${NET.metricsPort}`,
        ]),
        logPath: join(dir, 'forward.log'),
        match: sock,
      });
      await startDaemon(rec, {
        name: `metrics-local-${n.name}`,
        argv: ['socat', `TCP-LISTEN:${local.split(':')[1]},bind=127.0.0.1,fork,reuseaddr`, `UNIX-CONNECT:${sock}`],
        logPath: join(dir, 'forward.log'),
        match: `UNIX-CONNECT:${sock}`,
      });
    }
    agents.push({ node: n.name, address: local });
  }
  const configFile = join(dir, 'prometheus.yml');
  // Short intervals: a lab test waits for an alert in seconds, not minutes.
  await writeFile(
    configFile,
    prometheusConfig({ agents, ruleFiles: [RULES_FILE], scrapeIntervalSeconds: 5, evaluationIntervalSeconds: 5 }),
  );
  await startDaemon(rec, {
    name: 'prometheus',
    argv: prometheusArgv({ configFile, dataDir: join(dir, 'data'), listen: `127.0.0.1:${NET.prometheusPort}` }),
    logPath: join(dir, 'prometheus.log'),
    match: configFile,
  });
  await waitFor(
    'Prometheus ready',
    async () => (await fetch(`${PROMETHEUS_URL}/-/ready`).catch(() => undefined))?.ok === true,
    60_000,
    250,
  );
  return PROMETHEUS_URL;
}

/** One instant query; the result vector. */
export async function promQuery(query: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const r = await fetch(`${PROMETHEUS_URL}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await r.json()) as {
    status: string;
    error?: string;
    data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (body.status !== 'success') throw new Error(`Prometheus query ${query}: ${body.error ?? r.status}`);
  return body.data!.result;
}

/** The alerts Prometheus has now (pending and firing). */
export async function promAlerts(): Promise<{ labels: Record<string, string>; state: string }[]> {
  const r = await fetch(`${PROMETHEUS_URL}/api/v1/alerts`);
  const body = (await r.json()) as { data: { alerts: { labels: Record<string, string>; state: string }[] } };
  return body.data.alerts;
}

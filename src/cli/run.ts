// `ovirt-node-network-handler run`: the agent (what the DaemonSet runs on each node).
import type { Command } from 'commander';
import { pino } from 'pino';
import { DEFAULT_RESOLV_CONF, DEFAULT_STATE_DIR } from '../api/constants.js';
import { Locks } from '../apply/lock.js';
import { Agent, AgentMetrics, DEFAULT_APPLY_RETRY, KernelBackend, LLDP_MODES, type LldpMode } from '../agent/index.js';
import {
  bareHostname,
  checkBackoffSettings,
  EVENTS_NAMESPACE,
  loadConnection,
  OnnClient,
  serveMetrics,
  type ApiConnection,
  type CrdManifest,
} from '../k8s/index.js';
import { addMetricsOptions, metricsServerOptions, type MetricsFlags } from './metrics-flags.js';
import { verifierForSpec, type ApiEndpoint } from '../verify/index.js';

interface RunOptions extends MetricsFlags {
  nodeName?: string;
  kubeconfig?: string;
  stateDir: string;
  resolvConf: string;
  statisticsInterval: string;
  observeInterval: string;
  dhcpSuperviseInterval: string;
  applyRetryBase: string;
  applyRetryMax: string;
  installCrd?: boolean;
  logLevel: string;
  dnsProbeHost?: string;
  lldp: string;
}

export function registerRun(program: Command): void {
  const cmd = program
    .command('run')
    .description('run the node agent: report this node into its OvirtNodeNetwork and apply its spec')
    .option('--node-name <name>', "this node's name (default: $NODE_NAME, from the downward API)")
    .option('--kubeconfig <path>', 'kubeconfig (default: in-cluster service account)')
    .option('--state-dir <dir>', 'where the running config is persisted', DEFAULT_STATE_DIR)
    .option('--resolv-conf <path>', 'the resolv.conf networks with nameservers write', DEFAULT_RESOLV_CONF)
    .option('--statistics-interval <seconds>', 'how often statistics are written to the status', '30')
    .option('--observe-interval <seconds>', 'how often the node is observed (status written only on change)', '10')
    .option('--dhcp-supervise-interval <seconds>', 'how often DHCP clients that died are started again', '10')
    .option(
      '--apply-retry-base <seconds>',
      'a spec whose apply failed for a reason outside it (the API server away) is tried again after this, ' +
        'doubled per failure',
      String(DEFAULT_APPLY_RETRY.baseMs / 1000),
    )
    .option(
      '--apply-retry-max <seconds>',
      'the longest pause between those attempts',
      String(DEFAULT_APPLY_RETRY.maxMs / 1000),
    )
    .option(
      '--lldp <mode>',
      `LLDP on every NIC with Debian's lldpd (status.lldp): ${LLDP_MODES.join('|')}; receive never sends a frame, ` +
        'transmit announces this node to its switches too',
      'receive',
    )
    .option('--install-crd', 'create the CRD if it is missing (needs the permission)')
    .option('--log-level <level>', 'trace|debug|info|warn|error', 'info')
    .option(
      '--low-memory',
      'also run V8 in its memory saver mode (less memory, more CPU; read by the launcher, ' +
        'which runs V8 without its optimizing compilers in any case)',
    )
    .option(
      '--dns-probe-host <name>',
      "name the DNS probe resolves when an object enables it (default: the API server's host name, if it is one)",
    );
  addMetricsOptions(cmd, 9187).action(runAgent);
}

/** The agent's process: its client, backend, metrics server and the agent, until a signal ends it. */
async function runAgent(o: RunOptions): Promise<void> {
  const nodeName = o.nodeName ?? process.env.NODE_NAME;
  if (!nodeName)
    throw new Error(
      'no node name: pass --node-name or set NODE_NAME (downward API spec.nodeName); $HOSTNAME is never used',
    );
  const log = pino({ level: o.logLevel, base: { node: nodeName } });
  const client = new OnnClient(await loadConnection(o.kubeconfig, process.env), {
    eventsNamespace: EVENTS_NAMESPACE,
  });
  const serverOptions = await metricsServerOptions(o, client.http, [nodeName, 'localhost', '127.0.0.1', '::1'], (e) =>
    log.warn({ err: e.message }, "metrics: could not review a scraper's credentials"),
  );
  log.info(`API server ${client.server.origin}, credentials from ${client.conn.source}`);
  const metrics = new AgentMetrics(nodeName);
  if (!(LLDP_MODES as readonly string[]).includes(o.lldp))
    throw new Error(`--lldp: ${JSON.stringify(o.lldp)} is not one of ${LLDP_MODES.join(', ')}`);
  const backend = new KernelBackend({
    stateDir: o.stateDir,
    resolvConf: o.resolvConf,
    lldp: { mode: o.lldp as LldpMode, intervalMs: Number(o.statisticsInterval) * 1000 },
    log,
    locks: new Locks(),
  });
  // Built from src/api, as deploy/crd.yaml is (a unit test keeps them equal); loaded only when asked.
  const crd = o.installCrd ? ((await import('../api/crd.js')).buildCrd() as CrdManifest) : undefined;
  const agent = new Agent({
    nodeName,
    client,
    backend,
    log,
    metrics,
    crd,
    observeIntervalMs: Number(o.observeInterval) * 1000,
    dhcpSuperviseIntervalMs: Number(o.dhcpSuperviseInterval) * 1000,
    statisticsIntervalMs: Number(o.statisticsInterval) * 1000,
    retryBackoff: checkBackoffSettings(
      { baseMs: Number(o.applyRetryBase) * 1000, maxMs: Number(o.applyRetryMax) * 1000 },
      '--apply-retry-base/--apply-retry-max',
    ),
    verifierFor: (spec) =>
      verifierForSpec(spec, {
        api: apiEndpoint(client.conn),
        resolvConf: o.resolvConf,
        ...(o.dnsProbeHost ? { dnsProbeHost: o.dnsProbeHost } : {}),
        log: (m) => log.info(m),
        warn: (m) => log.warn(m),
      }),
  });
  if (serverOptions) {
    const stallMs = Math.max(120_000, Number(o.observeInterval) * 1000 * 6);
    await serveMetrics(
      metrics,
      { healthy: () => Date.now() - agent.lastLoopAt < stallMs, ready: () => agent.ready },
      serverOptions,
    );
  }
  const shutdown = async (sig: string) => {
    log.info(`${sig}: stopping (the host's network is left as it is)`);
    await agent.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  await agent.start();
  log.info('agent started');
}

/** The endpoint of an API connection: its URL's host and port, its TLS material (re-read per attempt). */
function apiEndpoint(conn: ApiConnection): ApiEndpoint {
  return {
    host: bareHostname(conn.server),
    port: Number(conn.server.port || 443),
    tls: async () => {
      const { ca, cert, key, servername, rejectUnauthorized } = await conn.requestOptions();
      return { ca, cert, key, servername, rejectUnauthorized };
    },
  };
}

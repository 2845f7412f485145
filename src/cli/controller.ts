// `ovirt-node-network-handler controller`: the policy controller (what the Deployment runs). The
// configuration is read here, once, and passed down.
import type { Command } from 'commander';
import { hostname } from 'node:os';
import { pino } from 'pino';
import { CONTROLLER_METRICS_PORT, CONTROLLER_NAME } from '../api/constants.js';
import { ControllerClient, EVENTS_NAMESPACE, loadConnection, serveMetrics } from '../k8s/index.js';
import { Controller, ControllerMetrics, DEFAULT_WRITE_RETRY } from '../fleet/index.js';
import { installNamespace } from './env.js';
import { addMetricsOptions, metricsServerOptions, type MetricsFlags } from './metrics-flags.js';

interface ControllerCliOptions extends MetricsFlags {
  kubeconfig?: string;
  namespace?: string;
  identity?: string;
  leaseName: string;
  leaseDuration: string;
  renewInterval: string;
  resync: string;
  logLevel: string;
}

/** A positive number of seconds, or an error naming the flag. */
export function seconds(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} ${v}: expected a positive number of seconds`);
  return n;
}

export function registerController(program: Command): void {
  const cmd = program
    .command('controller')
    .description(
      "run the OvirtNetworkPolicy controller: render policies into the selected nodes' OvirtNodeNetwork specs " +
        '(leader-elected)',
    )
    .option('--kubeconfig <path>', 'kubeconfig (default: in-cluster service account)')
    .option(
      '--namespace <ns>',
      'namespace of the leader-election Lease (default: $POD_NAMESPACE, else ovirt-node-network-handler)',
    )
    .option('--identity <id>', "this replica's name in the Lease (default: $POD_NAME, else hostname-pid)")
    .option('--lease-name <name>', "the Lease's name", CONTROLLER_NAME)
    .option('--lease-duration <seconds>', 'how long a lease not renewed stays held', '15')
    .option('--renew-interval <seconds>', 'how often the leader renews (and followers look)', '5')
    .option('--resync <seconds>', 'a pass without any change this often', '60')
    .option('--log-level <level>', 'trace|debug|info|warn|error', 'info');
  addMetricsOptions(cmd, CONTROLLER_METRICS_PORT).action(async (o: ControllerCliOptions) => {
    const env = process.env;
    const identity = o.identity ?? env.POD_NAME ?? `${hostname()}-${process.pid}`;
    const duration = seconds('--lease-duration', o.leaseDuration);
    const renew = seconds('--renew-interval', o.renewInterval);
    if (renew >= duration)
      throw new Error(`--renew-interval ${o.renewInterval} must be shorter than --lease-duration ${o.leaseDuration}`);
    const log = pino({ level: o.logLevel, base: { controller: identity } });
    const namespace = installNamespace(o.namespace, env);
    const metrics = new ControllerMetrics(identity);
    const client = new ControllerClient(await loadConnection(o.kubeconfig, env), EVENTS_NAMESPACE);
    const serverOptions = await metricsServerOptions(o, client.http, [identity, 'localhost', '127.0.0.1', '::1'], (e) =>
      log.warn({ err: e.message }, "metrics: could not review a scraper's credentials"),
    );
    log.info(`API server ${client.conn.server.origin}, credentials from ${client.conn.source}`);
    const controller = new Controller({
      client,
      log,
      metrics,
      lease: { namespace, name: o.leaseName, identity, durationSeconds: duration, renewSeconds: renew },
      resyncMs: seconds('--resync', o.resync) * 1000,
      debounceMs: 200,
      writeRetry: DEFAULT_WRITE_RETRY,
    });
    const shutdown = async (sig: string) => {
      log.info(`${sig}: stopping (the lease is given up)`);
      await controller.stop();
      process.exit(0);
    };
    // A last net: the controller's passes catch their own failures (src/fleet/controller.ts); a
    // rejection nothing caught is logged, not the end of the one process that serves every policy.
    process.on('unhandledRejection', (e) =>
      log.error(
        { err: e instanceof Error ? { message: e.message, stack: e.stack } : String(e) },
        'unhandled rejection (a bug): logged, the controller goes on',
      ),
    );
    process.once('SIGTERM', () => void shutdown('SIGTERM'));
    process.once('SIGINT', () => void shutdown('SIGINT'));
    controller.start();
    // Healthy: an answer at all means the event loop runs. Ready once every cache is listed and watched
    // (a follower is ready too: it takes over without a restart).
    if (serverOptions)
      await serveMetrics(metrics, { healthy: () => true, ready: () => controller.synced }, serverOptions);
    log.info('controller started');
  });
}

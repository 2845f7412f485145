// The metrics server's flags, one set for the agent (`run`) and the policy controller
// (`controller`): where it listens, and who may read /metrics (docs/security.md, "Least privilege").
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import {
  KubernetesMetricsAuth,
  parseBindAddress,
  parseMetricsAuth,
  parsePort,
  selfSignedCertificate,
  type ApiHttp,
  type MetricsServerOptions,
} from '../k8s/index.js';

export interface MetricsFlags {
  metricsPort: string;
  metricsBindAddress: string;
  metricsAuth: string;
  metricsTlsCertFile?: string;
  metricsTlsKeyFile?: string;
}

export function addMetricsOptions(cmd: Command, defaultPort: number): Command {
  return cmd
    .option('--metrics-port <port>', 'port for /metrics, /healthz, /readyz (0: off)', String(defaultPort))
    .option(
      '--metrics-bind-address <ip>',
      'address the metrics server listens on (default: every address, IPv6 and IPv4, as node_exporter does; e.g. ' +
        '127.0.0.1)',
      '',
    )
    .option(
      '--metrics-auth <mode>',
      'who may read /metrics: none (anyone reaching the port), kubernetes (HTTPS; a bearer token the API server ' +
        'authenticates, whose user may get the non-resource URL /metrics; needs system:auth-delegator). /healthz ' +
        'and /readyz stay open',
      'none',
    )
    .option(
      '--metrics-tls-cert-file <path>',
      'serving certificate (PEM) for --metrics-auth=kubernetes (default: self-signed at start)',
    )
    .option('--metrics-tls-key-file <path>', 'its private key (PEM)');
}

/**
 * The server's options from the flags, checked before anything starts; undefined when the port
 * is 0 (off). `http`: the process's own API client, which makes the reviews; `names`: the
 * self-signed certificate's names.
 */
export async function metricsServerOptions(
  o: MetricsFlags,
  http: ApiHttp,
  names: readonly string[],
  onAuthError: (e: Error) => void,
): Promise<MetricsServerOptions | undefined> {
  const port = parsePort('--metrics-port', o.metricsPort);
  const host = parseBindAddress('--metrics-bind-address', o.metricsBindAddress);
  const mode = parseMetricsAuth(o.metricsAuth);
  if ((o.metricsTlsCertFile === undefined) !== (o.metricsTlsKeyFile === undefined))
    throw new Error('--metrics-tls-cert-file and --metrics-tls-key-file go together');
  if (mode === 'none' && o.metricsTlsCertFile !== undefined)
    throw new Error('--metrics-tls-cert-file is for --metrics-auth=kubernetes');
  if (port === 0) return undefined;
  if (mode === 'none') return { port, host };
  const tls =
    o.metricsTlsCertFile !== undefined
      ? { cert: await readFile(o.metricsTlsCertFile, 'utf8'), key: await readFile(o.metricsTlsKeyFile!, 'utf8') }
      : await selfSignedCertificate(names);
  const auth = new KubernetesMetricsAuth((path, body) => http.call('POST', path, { body }));
  return { port, host, tls, auth, onAuthError };
}

// Which probes an object's connectivityCheck asks for, built for one API endpoint: the agent's
// verifier (src/cli/run.ts) and the apply benchmark's (bench/apply.ts, which times the agent's
// apply with the verifier the agent would use by default) both come from here.
import { isIP } from 'node:net';
import { ConnectivityCheckSchema } from '../api/spec.js';
import { apiServerProbe, type ApiEndpoint } from './api-server.js';
import { Connectivity, dnsProbe, gatewayProbe, pathMtuProbe, type Probe } from './connectivity.js';

export interface VerifierTarget {
  /** The API server as the agent's connection reaches it. */
  api: ApiEndpoint;
  /** The resolv.conf the DNS probe reads. */
  resolvConf: string;
  /** The name the DNS probe resolves (default: the API server's host, if it is a name). */
  dnsProbeHost?: string;
  log: (msg: string) => void;
  /** A probe the object asks for that cannot run. */
  warn: (msg: string) => void;
}

/** The verifier for a spec, or undefined when its connectivityCheck is disabled. */
export function verifierForSpec(spec: Record<string, unknown>, t: VerifierTarget): Connectivity | undefined {
  // The spec was validated by the backend's schema; an invalid one fails there before any check.
  const parsed = ConnectivityCheckSchema.safeParse(spec.connectivityCheck ?? {});
  const cc = parsed.success ? parsed.data : ConnectivityCheckSchema.parse({});
  if (!cc.enabled) return undefined;
  const probes: Probe[] = [apiServerProbe(t.api)];
  if (cc.probes.gateway) probes.push(gatewayProbe());
  if (cc.probes.pathMtu) probes.push(pathMtuProbe(t.api.host, undefined, t.api.port));
  if (cc.probes.dns) {
    const host = t.dnsProbeHost ?? t.api.host;
    if (isIP(host) === 0) probes.push(dnsProbe(host, t.resolvConf));
    else t.warn('the object enables the DNS probe but there is no name to resolve (--dns-probe-host); skipping it');
  }
  return new Connectivity({ timeoutMs: cc.timeoutSeconds * 1000, probes, log: t.log });
}

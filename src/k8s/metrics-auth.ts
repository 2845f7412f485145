// Who may read /metrics (--metrics-auth): `none`, anyone who reaches the port (node_exporter's
// convention); `kubernetes`, a bearer token the API server authenticates (TokenReview) whose user
// may `get` the non-resource URL (SubjectAccessReview), as controller-runtime's
// filters.WithAuthenticationAndAuthorization and kube-rbac-proxy do, over TLS. The probes
// (/healthz, /readyz) are never behind it: the kubelet probes without credentials.
import { createHash } from 'node:crypto';
import { run } from '../util/exec.js';

export const METRICS_AUTH_MODES = ['none', 'kubernetes'] as const;
export type MetricsAuthMode = (typeof METRICS_AUTH_MODES)[number];

export function parseMetricsAuth(v: string): MetricsAuthMode {
  if ((METRICS_AUTH_MODES as readonly string[]).includes(v)) return v as MetricsAuthMode;
  throw new Error(`--metrics-auth ${v}: expected one of ${METRICS_AUTH_MODES.join(', ')}`);
}

/** The address the metrics server binds: '' (every address, IPv6 and IPv4) or an IP literal. */
export function parseBindAddress(flag: string, v: string): string {
  if (v === '' || v === '*') return '';
  const bare = v.replace(/^\[(.*)\]$/, '$1');
  // A host name would bind whatever it resolves to at start; an address says exactly where.
  if (!/^[0-9.]+$/.test(bare) && !/^[0-9a-fA-F:.]+$/.test(bare))
    throw new Error(`${flag} ${v}: expected an IP address ('' or '*' for every address)`);
  return bare;
}

/** A port number (0: off), or an error naming the flag. */
export function parsePort(flag: string, v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new Error(`${flag} ${v}: expected a port number (0: off)`);
  return n;
}

/** The API calls a review makes: the agent's (or controller's) own client to its API server. */
export type ReviewCall = (path: string, body: unknown) => Promise<unknown>;

export type AuthResult = { ok: true; user: string } | { ok: false; code: 401 | 403; reason: string };

interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** Cache lifetimes, as controller-runtime's filter sets them: authentication 1 min, allow 5 min, deny 30 s. */
export const AUTH_CACHE_MS = { authn: 60_000, allow: 300_000, deny: 30_000 } as const;
/** Entries kept per cache; the oldest goes first (a scraper or two per node, never thousands). */
const CACHE_ENTRIES = 256;

/** A small TTL cache keyed by a hash of the token (the token itself is never kept). */
class TtlCache<V> {
  private readonly m = new Map<string, { v: V; until: number }>();
  get(k: string, now: number): V | undefined {
    const e = this.m.get(k);
    if (!e) return undefined;
    if (e.until > now) return e.v;
    this.m.delete(k);
    return undefined;
  }
  set(k: string, v: V, ttlMs: number, now: number): void {
    this.m.delete(k);
    if (this.m.size >= CACHE_ENTRIES) this.m.delete(this.m.keys().next().value as string);
    this.m.set(k, { v, until: now + ttlMs });
  }
}

/**
 * Delegated authentication and authorization: the token is checked by a TokenReview, then its
 * user's `get` of the path by a SubjectAccessReview. Needs create on tokenreviews and
 * subjectaccessreviews (the built-in ClusterRole system:auth-delegator).
 */
export class KubernetesMetricsAuth {
  private readonly users = new TtlCache<UserInfo | undefined>();
  private readonly decisions = new TtlCache<boolean>();

  constructor(
    private readonly call: ReviewCall,
    private readonly now: () => number = Date.now,
  ) {}

  async check(authorization: string | undefined, path: string): Promise<AuthResult> {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) return { ok: false, code: 401, reason: 'a bearer token is required' };
    const token = m[1]!;
    const key = createHash('sha256').update(token).digest('hex');
    const t = this.now();
    let user = this.users.get(key, t);
    if (user === undefined) {
      const r = (await this.call('/apis/authentication.k8s.io/v1/tokenreviews', {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token },
      })) as { status?: { authenticated?: boolean; user?: UserInfo } };
      user = r.status?.authenticated ? (r.status.user ?? {}) : undefined;
      if (user) this.users.set(key, user, AUTH_CACHE_MS.authn, t);
    }
    if (!user?.username) return { ok: false, code: 401, reason: 'the token was not authenticated' };
    const dkey = `${key} ${path}`;
    let allowed = this.decisions.get(dkey, t);
    if (allowed === undefined) {
      const r = (await this.call('/apis/authorization.k8s.io/v1/subjectaccessreviews', {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: user.username,
          ...(user.uid ? { uid: user.uid } : {}),
          groups: user.groups ?? [],
          ...(user.extra ? { extra: user.extra } : {}),
          nonResourceAttributes: { path, verb: 'get' },
        },
      })) as { status?: { allowed?: boolean } };
      allowed = r.status?.allowed === true;
      this.decisions.set(dkey, allowed, allowed ? AUTH_CACHE_MS.allow : AUTH_CACHE_MS.deny, t);
    }
    return allowed
      ? { ok: true, user: user.username }
      : { ok: false, code: 403, reason: `${user.username} may not get ${path}` };
  }
}

/**
 * A self-signed serving certificate made at start (P-256, one year), as controller-runtime makes
 * one when given none: the scraper authenticates itself by token, and checks the server's
 * identity only if it is given a certificate of its own to trust (--metrics-tls-cert-file).
 * openssl comes with ca-certificates in the image; nothing is written to disk.
 */
export async function selfSignedCertificate(names: readonly string[]): Promise<{ key: string; cert: string }> {
  const san = names.map((n) => (/^[0-9.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  const r = await run([
    'openssl',
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    '-',
    '-out',
    '-',
    '-days',
    '365',
    '-subj',
    `/CN=${names[0] ?? 'localhost'}`,
    ...(san ? ['-addext', `subjectAltName=${san}`] : []),
  ]);
  const key = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n/.exec(r.stdout)?.[0];
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/.exec(r.stdout)?.[0];
  if (!key || !cert) throw new Error('openssl did not print a key and a certificate');
  return { key, cert };
}

// Where the API server is and how to authenticate to it, from a kubeconfig file or the pod's
// service account. The agent speaks to the API server over node:https itself (src/k8s/http.ts):
// importing @kubernetes/client-node costs ~40–60 MB of resident memory per node
// (docs/benchmarks.md), for a handful of REST calls and one watch. Kubeconfigs that need more
// than certificates or a token (exec plugins, auth providers, basic auth, proxies, several files
// merged) are handed to client-node, loaded only then.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, delimiter } from 'node:path';
import type { RequestOptions } from 'node:https';
import { parse as parseYaml } from 'yaml';

export interface ApiConnection {
  /** The API server's base URL (no trailing slash). */
  readonly server: URL;
  /** Where the credentials came from, for logs (never the credentials). */
  readonly source: string;
  /** TLS material and the Authorization header for one request (tokens are re-read as they rotate). */
  requestOptions(): Promise<
    Pick<RequestOptions, 'ca' | 'cert' | 'key' | 'servername' | 'rejectUnauthorized'> & {
      headers: Record<string, string>;
    }
  >;
}

/** A URL's host as a socket or ping wants it: an IPv6 literal without its brackets. */
export function bareHostname(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface ConnectionOptions {
  /** A kubeconfig context instead of its current-context (kubectl's --context). */
  context?: string;
  /**
   * kubectl's order, for a client run by a person (the kubectl plugin): $KUBECONFIG or
   * ~/.kube/config first, the in-cluster service account only when neither exists. The agent's
   * order (default) is the other way round: in a pod, its service account is the identity.
   */
  kubeconfigFirst?: boolean;
}

/**
 * A kubeconfig file when given, else the in-cluster service account, else $KUBECONFIG /
 * ~/.kube/config (env: the entry point's process.env); `kubeconfigFirst` swaps the last two.
 */
export async function loadConnection(
  path: string | undefined,
  env: NodeJS.ProcessEnv,
  o: ConnectionOptions = {},
): Promise<ApiConnection> {
  if (path) return fromKubeconfigFile(path, o.context);
  const candidates = env.KUBECONFIG
    ? env.KUBECONFIG.split(delimiter).filter(Boolean)
    : [join(homedir(), '.kube', 'config')];
  const inPod = env.KUBERNETES_SERVICE_HOST !== undefined && env.KUBERNETES_SERVICE_HOST !== '';
  if (inPod && (!o.kubeconfigFirst || (!env.KUBECONFIG && !existsSync(candidates[0]!)))) {
    if (o.context !== undefined)
      throw new Error(`context "${o.context}": the in-cluster service account has no contexts; pass --kubeconfig`);
    return inCluster(env);
  }
  if (candidates.length > 1) return viaClientNode(candidates, 'several kubeconfig files in $KUBECONFIG', o.context);
  return fromKubeconfigFile(candidates[0]!, o.context);
}

/** The pod's service account: the projected token is re-read when the kubelet rotates it. */
export function inCluster(env: NodeJS.ProcessEnv, dir = SERVICE_ACCOUNT_DIR): ApiConnection {
  const host = env.KUBERNETES_SERVICE_HOST!;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  const server = new URL(`https://${host.includes(':') ? `[${host}]` : host}:${port}`);
  const ca = readFileSync(join(dir, 'ca.crt'));
  const token = new RotatingFile(join(dir, 'token'));
  return {
    server,
    source: `service account (${dir})`,
    requestOptions: async () => ({ ca, headers: { Authorization: `Bearer ${token.read()}` } }),
  };
}

interface NamedEntry<T> {
  name: string;
  [key: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}
interface KubeCluster {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
  'proxy-url'?: string;
}
interface KubeUser {
  token?: string;
  tokenFile?: string;
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  exec?: unknown;
  'auth-provider'?: unknown;
  username?: string;
  password?: string;
}
interface KubeContext {
  cluster?: string;
  user?: string;
}
interface KubeConfigFile {
  'current-context'?: string;
  clusters?: NamedEntry<KubeCluster>[];
  users?: NamedEntry<KubeUser>[];
  contexts?: NamedEntry<KubeContext>[];
}

/** `contextName`: that context instead of the file's current-context. */
export async function fromKubeconfigFile(path: string, contextName?: string): Promise<ApiConnection> {
  let doc: KubeConfigFile;
  try {
    doc = (parseYaml(readFileSync(path, 'utf8')) ?? {}) as KubeConfigFile;
  } catch (e) {
    throw new Error(`kubeconfig ${path}: ${(e as Error).message}`);
  }
  const ctxName = contextName ?? doc['current-context'];
  if (!ctxName) throw new Error(`kubeconfig ${path}: no current-context`);
  const context = doc.contexts?.find((c) => c.name === ctxName)?.context;
  if (!context) throw new Error(`kubeconfig ${path}: context "${ctxName}" not found`);
  const cluster = doc.clusters?.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster?.server)
    throw new Error(`kubeconfig ${path}: cluster "${context.cluster ?? ''}" of context "${ctxName}" has no server`);
  const user: KubeUser = doc.users?.find((u) => u.name === context.user)?.user ?? {};
  if (user.exec || user['auth-provider'] || user.username || cluster['proxy-url'])
    return viaClientNode([path], 'exec, auth-provider, basic auth or proxy-url', ctxName);

  const base = dirname(path);
  const file = (p: string) => readFileSync(isAbsolute(p) ? p : join(base, p));
  const material = (data: string | undefined, p: string | undefined) =>
    data ? Buffer.from(data, 'base64') : p ? file(p) : undefined;
  const ca = material(cluster['certificate-authority-data'], cluster['certificate-authority']);
  const cert = material(user['client-certificate-data'], user['client-certificate']);
  const key = material(user['client-key-data'], user['client-key']);
  const tokenFile = user.tokenFile
    ? new RotatingFile(isAbsolute(user.tokenFile) ? user.tokenFile : join(base, user.tokenFile))
    : undefined;
  const tls = {
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(cluster['tls-server-name'] ? { servername: cluster['tls-server-name'] } : {}),
    ...(cluster['insecure-skip-tls-verify'] ? { rejectUnauthorized: false } : {}),
  };
  return {
    server: new URL(cluster.server.replace(/\/+$/, '')),
    source: `kubeconfig ${path} (context ${ctxName})`,
    requestOptions: async () => {
      const token = user.token ?? tokenFile?.read();
      const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
      return { ...tls, headers };
    },
  };
}

/**
 * The full client library, for kubeconfigs this module does not speak itself. Several files are
 * merged as kubectl merges them (the first one's current-context; files that do not exist are
 * skipped), from the paths given: client-node's own loadFromDefault reads process.env itself.
 */
async function viaClientNode(paths: readonly string[], why: string, context?: string): Promise<ApiConnection> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const files = paths.length > 1 ? paths.filter((p) => existsSync(p)) : paths;
  if (files.length === 0) throw new Error(`kubeconfig: none of ${paths.join(', ')} exists`);
  const kc = new KubeConfig();
  kc.loadFromFile(files[0]!);
  for (const f of files.slice(1)) {
    const more = new KubeConfig();
    more.loadFromFile(f);
    kc.mergeConfig(more, true);
  }
  const path = files.join(delimiter);
  if (context !== undefined) {
    if (!kc.getContextObject(context)) throw new Error(`kubeconfig ${path}: context "${context}" not found`);
    kc.setCurrentContext(context);
  }
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error(`kubeconfig ${path}: no current cluster`);
  return {
    server: new URL(server.replace(/\/+$/, '')),
    source:
      `kubeconfig ${path}${context !== undefined ? ` (context ${context})` : ''} via @kubernetes/client-node ` +
      `(${why})`,
    requestOptions: async () => {
      const opts: RequestOptions & { headers: Record<string, string> } = { headers: {} };
      await kc.applyToHTTPSOptions(opts);
      const { ca, cert, key, servername, rejectUnauthorized } = opts;
      return {
        ca,
        cert,
        key,
        servername,
        rejectUnauthorized,
        headers: { ...(opts.headers as Record<string, string>) },
      };
    },
  };
}

/** A small file read again when it changes (service-account tokens rotate under the process). */
class RotatingFile {
  private content = '';
  private mtimeMs = -1;
  constructor(private readonly path: string) {}

  read(): string {
    const m = statSync(this.path).mtimeMs;
    if (m !== this.mtimeMs) {
      this.content = readFileSync(this.path, 'utf8').trim();
      this.mtimeMs = m;
    }
    return this.content;
  }
}

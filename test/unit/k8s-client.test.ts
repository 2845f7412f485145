// The agent's own API client (src/k8s): kubeconfig and service-account credentials, and deadlines
// on every request — against a local HTTPS server with the lab's openssl-made certificates, which
// can do what a restarting API server (or a forwarder in front of it) does: accept and never answer.
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { mkdtemp, readFile, rm, writeFile, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createPki, type Pki } from '../../lab/src/pki.js';
import { fromKubeconfigFile, inCluster, loadConnection } from '../../src/k8s/connection.js';
import { OnnClient, isNotFound, type OnnObject } from '../../src/k8s/client.js';
import { ApiError } from '../../src/k8s/http.js';

let dir: string;
let pki: Pki;
let server: Server;
let port: number;
const seen: { method: string; url: string; auth?: string; cn?: string; contentType?: string; body: string }[] = [];
const held: ServerResponse[] = [];
/** Emits 'silent' with the response of each silent watch the server holds open. */
const silentWatches = new EventEmitter();

const obj = (name: string, rv: string): OnnObject => ({ apiVersion: 'ovirt.org/v1alpha1', kind: 'OvirtNodeNetwork', metadata: { name, resourceVersion: rv, generation: 1 }, spec: {} });

function handler(req: IncomingMessage, res: ServerResponse): void {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    const cert = (req.socket as TLSSocket).getPeerCertificate();
    seen.push({ method: req.method!, url: req.url!, ...(req.headers.authorization ? { auth: req.headers.authorization } : {}), ...(cert?.subject?.CN ? { cn: String(cert.subject.CN) } : {}), ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}), body });
    const url = new URL(req.url!, 'https://x');
    const json = (code: number, v: unknown) => {
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(v));
    };
    if (url.pathname.includes('/hang') || url.searchParams.get('fieldSelector') === 'metadata.name=hang') return void held.push(res);
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(`${JSON.stringify({ type: 'ADDED', object: obj('n1', '5') })}\n`);
      res.write(`${JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '7' } } }).slice(0, 20)}`); // a line split across writes
      res.write(`${JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '7' } } }).slice(20)}\n`);
      if (url.searchParams.get('fieldSelector') === 'metadata.name=silent') {
        held.push(res);
        silentWatches.emit('silent', res);
        return;
      }
      return void res.end();
    }
    if (url.pathname === '/apis/ovirt.org/v1alpha1/ovirtnodenetworks/missing') return json(404, { kind: 'Status', message: 'ovirtnodenetworks "missing" not found', code: 404 });
    if (url.pathname === '/apis/ovirt.org/v1alpha1/ovirtnodenetworks/forbidden') return json(403, { kind: 'Status', message: 'forbidden: no', code: 403 });
    if (req.method === 'PATCH') return json(200, { ...obj('n1', '9'), status: { done: true } });
    return json(200, obj(url.pathname.split('/').pop()!, '3'));
  });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ovnh-k8s-client-'));
  pki = await createPki(join(dir, 'pki'));
  server = createServer({ cert: await readFile(pki.serverCert), key: await readFile(pki.serverKey), ca: await readFile(pki.caCert), requestCert: true, rejectUnauthorized: false }, handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

after(async () => {
  for (const r of held) r.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

async function kubeconfig(name: string, user: Record<string, unknown>, cluster: Record<string, unknown> = {}): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'k', cluster: { server: `https://127.0.0.1:${port}/`, 'certificate-authority': 'pki/ca.crt', ...cluster } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
  }));
  return path;
}

describe('kubeconfig and service-account credentials', () => {
  it('client certificate files and a CA path relative to the kubeconfig authenticate the request', async () => {
    const c = new OnnClient(await fromKubeconfigFile(await kubeconfig('cert.yaml', { 'client-certificate': pki.adminCert, 'client-key': pki.adminKey })));
    const got = await c.get('n1');
    assert.equal(got?.metadata.name, 'n1');
    assert.equal(seen.at(-1)!.cn, 'ovnh-lab-admin');
    assert.equal(seen.at(-1)!.auth, undefined);
    assert.equal(c.server.origin, `https://127.0.0.1:${port}`);
  });

  it('inline *-data and a bearer token', async () => {
    const ca = (await readFile(pki.caCert)).toString('base64');
    const c = new OnnClient(await fromKubeconfigFile(await kubeconfig('token.yaml', { token: 's3cret' }, { 'certificate-authority': undefined, 'certificate-authority-data': ca })));
    await c.get('n1');
    assert.equal(seen.at(-1)!.auth, 'Bearer s3cret');
    assert.doesNotMatch(c.conn.source, /s3cret/);
  });

  it('a tokenFile is read again when it changes (rotated tokens)', async () => {
    const tokenPath = join(dir, 'token');
    await writeFile(tokenPath, 'first\n');
    const c = new OnnClient(await fromKubeconfigFile(await kubeconfig('tokenfile.yaml', { tokenFile: tokenPath })));
    await c.get('n1');
    assert.equal(seen.at(-1)!.auth, 'Bearer first');
    await writeFile(tokenPath, 'second\n');
    await utimes(tokenPath, new Date(), new Date(Date.now() + 5000));
    await c.get('n1');
    assert.equal(seen.at(-1)!.auth, 'Bearer second');
  });

  it('in a pod: KUBERNETES_SERVICE_HOST/PORT, the service account CA and token', async () => {
    const sa = join(dir, 'sa');
    await import('node:fs/promises').then((fs) => fs.mkdir(sa, { recursive: true }));
    await writeFile(join(sa, 'ca.crt'), await readFile(pki.caCert));
    await writeFile(join(sa, 'token'), 'pod-token');
    const c = new OnnClient(inCluster({ KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(port) }, sa));
    await c.get('n1');
    assert.equal(seen.at(-1)!.auth, 'Bearer pod-token');
    assert.equal(inCluster({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' }, sa).server.host, '[fd00::1]:6443');
  });

  it('--context picks a context other than the current one; kubectl\'s order puts $KUBECONFIG before the service account', async () => {
    const path = join(dir, 'two-contexts.yaml');
    await writeFile(path, stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
      clusters: [{ name: 'k', cluster: { server: `https://127.0.0.1:${port}/`, 'certificate-authority': 'pki/ca.crt' } }, { name: 'other', cluster: { server: 'https://127.0.0.1:1' } }],
      users: [{ name: 'u', user: { token: 'current' } }, { name: 'v', user: { token: 'picked' } }],
      contexts: [{ name: 'c', context: { cluster: 'other', user: 'u' } }, { name: 'p', context: { cluster: 'k', user: 'v' } }],
    }));
    const picked = await fromKubeconfigFile(path, 'p');
    assert.equal(picked.server.port, String(port));
    await new OnnClient(picked).get('n1');
    assert.equal(seen.at(-1)!.auth, 'Bearer picked');
    assert.equal((await fromKubeconfigFile(path)).server.port, '1');
    await assert.rejects(fromKubeconfigFile(path, 'q'), /two-contexts\.yaml: context "q" not found/);
    // In a pod with $KUBECONFIG set: the agent's order takes the service account (absent here:
    // its files fail to read), kubectl's the kubeconfig.
    const env = { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBECONFIG: path };
    await assert.rejects(loadConnection(undefined, env), /ENOENT.*serviceaccount/);
    assert.equal((await loadConnection(undefined, env, { kubeconfigFirst: true, context: 'p' })).server.port, String(port));
    await assert.rejects(loadConnection(undefined, { KUBERNETES_SERVICE_HOST: '127.0.0.1' }, { context: 'p' }), /in-cluster service account has no contexts/);
    // Several files are merged by client-node, which selects the context as well.
    const viaLib = await loadConnection(undefined, { KUBECONFIG: [path, join(dir, 'missing.yaml')].join(':') }, { kubeconfigFirst: true, context: 'p' });
    assert.match(viaLib.source, /\(context p\) via @kubernetes\/client-node/);
    assert.equal(viaLib.server.port, String(port));
  });

  it('exec plugins are handed to @kubernetes/client-node; broken files name the problem', async () => {
    const exec = await loadConnection(await kubeconfig('exec.yaml', { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'true' } }), {});
    assert.match(exec.source, /client-node/);
    const bad = join(dir, 'nocontext.yaml');
    await writeFile(bad, stringify({ clusters: [] }));
    await assert.rejects(fromKubeconfigFile(bad), /nocontext\.yaml: no current-context/);
    await assert.rejects(fromKubeconfigFile(await kubeconfig('http.yaml', { token: 't' }, { server: 'http://127.0.0.1:1' })).then((c) => new OnnClient(c)), /only https/);
  });
});

describe('requests', () => {
  let c: OnnClient;
  before(async () => {
    c = new OnnClient(await fromKubeconfigFile(await kubeconfig('admin.yaml', { 'client-certificate': pki.adminCert, 'client-key': pki.adminKey })));
  });

  it('404 is "not found", other errors carry the code and the API server\'s message', async () => {
    assert.equal(await c.get('missing'), undefined);
    const e = await c.get('forbidden').then(() => undefined, (x: unknown) => x);
    assert.ok(e instanceof ApiError);
    assert.equal(e.code, 403);
    assert.match(e.message, /HTTP 403: forbidden: no/);
    assert.equal(isNotFound(e), false);
  });

  it('a status write is a JSON patch of the status subresource, replacing only the given fields', async () => {
    const r = await c.patchStatus('n1', { statistics: { eth0: { rx: '1' } }, observedGeneration: 2 }, true);
    assert.deepEqual(r.status, { done: true });
    const req = seen.at(-1)!;
    assert.equal(req.method, 'PATCH');
    assert.equal(req.url, '/apis/ovirt.org/v1alpha1/ovirtnodenetworks/n1/status?fieldManager=ovirt-node-network-handler');
    assert.equal(req.contentType, 'application/json-patch+json');
    assert.deepEqual(JSON.parse(req.body), [
      { op: 'add', path: '/status/statistics', value: { eth0: { rx: '1' } } },
      { op: 'add', path: '/status/observedGeneration', value: 2 },
    ]);
  });

  it('a connection that is accepted and never answered fails by the deadline (GET, status write)', async () => {
    await assert.rejects(c.http.call('GET', '/apis/ovirt.org/v1alpha1/ovirtnodenetworks/hang', { timeoutMs: 300 }), /no answer from the API server within 0.3 s/);
    await assert.rejects(c.patchStatus('hang', {}, true, 300).then(() => undefined), /no answer/);
  });

  it('a watch delivers events (lines split across packets too) and ends when the server ends it', async () => {
    const events: string[] = [];
    const ended = await new Promise<Error | undefined>((resolve) => {
      void c.watch('n1', '4', { timeoutSeconds: 60, connectTimeoutMs: 1000, idleTimeoutMs: 1000 }, (type, o) => events.push(`${type}@${o.metadata.resourceVersion}`), resolve);
    });
    assert.equal(ended, undefined);
    assert.deepEqual(events, ['ADDED@5', 'BOOKMARK@7']);
    const q = new URL(seen.at(-1)!.url, 'https://x').searchParams;
    assert.equal(q.get('fieldSelector'), 'metadata.name=n1');
    assert.equal(q.get('resourceVersion'), '4');
    assert.equal(q.get('timeoutSeconds'), '60');
    assert.equal(q.get('allowWatchBookmarks'), 'true');
  });

  it('a watch that never answers, or goes silent, ends with an error instead of waiting forever', async () => {
    const never = await new Promise<Error | undefined>((resolve) => void c.watch('hang', undefined, { timeoutSeconds: 60, connectTimeoutMs: 300, idleTimeoutMs: 60_000 }, () => undefined, resolve));
    assert.match(String(never), /no answer to the watch for 0.3 s/);
    const events: string[] = [];
    const silent = await new Promise<Error | undefined>((resolve) => void c.watch('silent', undefined, { timeoutSeconds: 60, connectTimeoutMs: 1000, idleTimeoutMs: 300 }, (t) => events.push(t), resolve));
    assert.match(String(silent), /the watch was silent for 0.3 s/);
    assert.deepEqual(events, ['ADDED', 'BOOKMARK']);
  });

  it('abort() ends a watch without calling done', async (t) => {
    // The stream's deadlines on the mock clock; the sockets stay real.
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let doneCalls = 0;
    const arrived = once(silentWatches, 'silent') as Promise<[ServerResponse]>;
    const s = await c.watch('silent', undefined, { timeoutSeconds: 60, connectTimeoutMs: 1000, idleTimeoutMs: 500 }, () => undefined, () => doneCalls++);
    const [res] = await arrived;
    const closed = once(res, 'close');
    s.abort();
    await closed; // the server saw the client's end go: the client's socket events have fired
    t.mock.timers.tick(1000); // past both deadlines (headers and silence)
    await new Promise((r) => setImmediate(r));
    assert.equal(doneCalls, 0);
  });
});

// The connectivity check's API server probe with real sockets, in namespaces of the test's own: a
// node and a "server" joined by veth. Only a TLS handshake verified against the agent's CA, for
// the name it connects to, keeps an apply; a reset, a refusal, silence, cleartext, another CA,
// another name, a blackhole route, and the address turning local to the node all roll it back.
// An address local before the apply too (kube-proxy IPVS, a local API server) is judged by the
// handshake alone.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createPki, serverExt, signedCert } from '../../lab/src/pki.js';
import { run } from '../../src/util/exec.js';
import { ROOT } from './apply-support.js';
import { SERVER_PORTS, type CertFiles, type ProbeRequest } from './verify-support.js';

const SUPPORT = join(fileURLToPath(new URL('.', import.meta.url)), 'verify-support.js');
const id = randomBytes(3).toString('hex');
const NODE = `ovnh-t-vnode-${id}`;
const SRV = `ovnh-t-vsrv-${id}`;
const DIR = join(ROOT, '.tmp-tests', `verify-${id}`);
const API = '10.78.0.1';
/** An address the node itself holds before any apply, with a TLS server of its own (a local API server). */
const OWN = '10.78.9.1';
const TIMEOUT_MS = 1500;

let server: ChildProcess | undefined;
let certs: CertFiles;

async function down(): Promise<void> {
  if (server?.pid) try { process.kill(server.pid, 'SIGKILL'); } catch { /* gone */ }
  await run(['ip', 'netns', 'del', NODE], { allowFailure: true });
  await run(['ip', 'netns', 'del', SRV], { allowFailure: true });
  await rm(`/etc/netns/${NODE}`, { recursive: true, force: true });
  await rm(DIR, { recursive: true, force: true });
}

before(async () => {
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => void down().finally(() => process.exit(130)));
  await mkdir(DIR, { recursive: true });
  const pki = await createPki(join(DIR, 'pki'));
  const other = await createPki(join(DIR, 'other'));
  const sans = serverExt([`IP:${API}`, 'DNS:api.test', `IP:${OWN}`]);
  certs = { ca: pki.caCert, cert: join(DIR, 'api.crt'), key: join(DIR, 'api.key'), otherCert: join(DIR, 'other.crt'), otherKey: join(DIR, 'other.key') };
  await signedCert(pki, certs.key, certs.cert, '/CN=kube-apiserver', sans);
  await signedCert(other, certs.otherKey, certs.otherCert, '/CN=kube-apiserver', sans);
  await writeFile(join(DIR, 'certs.json'), JSON.stringify(certs));
  await run(['ip', 'netns', 'add', NODE]);
  await run(['ip', 'netns', 'add', SRV]);
  for (const l of [
    `-n ${NODE} link set lo up`,
    `-n ${NODE} link add n0 type veth peer name s0 netns ${SRV}`,
    `-n ${NODE} addr add 10.78.0.2/24 dev n0`,
    `-n ${NODE} link set n0 up`,
    `-n ${NODE} addr add ${OWN}/32 dev lo`,
    `-n ${SRV} link set lo up`,
    `-n ${SRV} addr add ${API}/24 dev s0`,
    `-n ${SRV} link set s0 up`,
  ]) await run(['ip', ...l.split(' ')]);
  // `ip netns exec` shows this file as the node's /etc/hosts: names for the name checks.
  await mkdir(`/etc/netns/${NODE}`, { recursive: true });
  await writeFile(`/etc/netns/${NODE}/hosts`, `${API} api.test other.test\n`);
  server = spawn('ip', ['netns', 'exec', SRV, process.execPath, SUPPORT, 'serve', DIR], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    server!.once('exit', (code) => reject(new Error(`server exited (${code})`)));
    server!.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
  });
});

after(down);

/** The probe inside the node namespace: preflight, `between` (the apply), check. */
async function probe(req: Partial<ProbeRequest> & { port: number }): Promise<{ preflight: { apiReachable: boolean }; check: string | null }> {
  const full: ProbeRequest = { host: API, ca: certs.ca, timeoutMs: TIMEOUT_MS, ...req };
  const r = await run(['ip', 'netns', 'exec', NODE, process.execPath, SUPPORT, 'probe', JSON.stringify(full)]);
  return JSON.parse(r.stdout) as { preflight: { apiReachable: boolean }; check: string | null };
}

const ns = (...argv: string[]) => ['ip', 'netns', 'exec', NODE, ...argv];

describe('the API server probe over real sockets', () => {
  it('keeps the apply on a verified handshake: by address, by name (SNI), or unverified where the kubeconfig says so', async () => {
    const cases = {
      address: await probe({ port: SERVER_PORTS.tls }),
      name: await probe({ host: 'api.test', port: SERVER_PORTS.tls }),
      tlsServerName: await probe({ host: 'other.test', servername: 'api.test', port: SERVER_PORTS.tls }),
      insecureSkipVerify: await probe({ port: SERVER_PORTS.otherCa, rejectUnauthorized: false }),
    };
    for (const [name, r] of Object.entries(cases)) assert.deepEqual(r, { preflight: { apiReachable: true }, check: null }, name);
  });

  it('rolls back on every answer that is not the API server\'s handshake', async () => {
    const cases = await Promise.all(([
      ['refused (RST, nothing listens)', { port: SERVER_PORTS.refused }, /ECONNREFUSED/],
      ['accepted, then reset', { port: SERVER_PORTS.acceptReset }, /ECONNRESET|closed before the TLS handshake/],
      ['accepted, silent', { port: SERVER_PORTS.silent }, /no TLS handshake within/],
      ['cleartext, not TLS', { port: SERVER_PORTS.plain }, /ERR_SSL_WRONG_VERSION_NUMBER: wrong version number/],
      ['another CA', { port: SERVER_PORTS.otherCa }, /self.signed|unable to (get|verify)/i],
      ['another name', { host: 'other.test', port: SERVER_PORTS.tls }, /altnames|other\.test/],
    ] as const).map(async ([what, req, why]) => ({ what, why, r: await probe(req) })));
    for (const { what, why, r } of cases) {
      assert.equal(r.preflight.apiReachable, false, `${what}: reachable before the apply`);
      assert.match(r.check ?? '', /^api-server: /, `${what}: kept`);
      assert.match(r.check!, why, what);
    }
  });

  it('rolls back when the apply puts the API server\'s address on the node (an address, a bridge without carrier) or blackholes it', async () => {
    const changes: Record<string, string[][]> = {
      'on lo': [ns('ip', 'addr', 'add', `${API}/32`, 'dev', 'lo')],
      'on a bridge without ports (no carrier)': [ns('ip', 'link', 'add', 'b0', 'type', 'bridge'), ns('ip', 'link', 'set', 'b0', 'up'), ns('ip', 'addr', 'add', `${API}/24`, 'dev', 'b0')],
      'blackhole route': [ns('ip', 'route', 'add', 'blackhole', `${API}/32`)],
    };
    const undo: Record<string, string[][]> = {
      'on lo': [ns('ip', 'addr', 'del', `${API}/32`, 'dev', 'lo')],
      'on a bridge without ports (no carrier)': [ns('ip', 'link', 'del', 'b0')],
      'blackhole route': [ns('ip', 'route', 'del', 'blackhole', `${API}/32`)],
    };
    for (const [what, between] of Object.entries(changes)) {
      try {
        const r = await probe({ port: SERVER_PORTS.tls, between });
        assert.equal(r.preflight.apiReachable, true, what);
        assert.match(r.check ?? '', what === 'blackhole route' ? /^api-server: .*(EINVAL|unreachable|ENETUNREACH|no TLS handshake)/ : /^api-server: 10\.78\.0\.1 is an address of this node since the apply/, what);
      } finally {
        for (const argv of undo[what]!) await run(argv, { allowFailure: true });
      }
    }
  });

  it('an address local before the apply (kube-proxy IPVS, a local API server) is judged by the handshake alone', async () => {
    const own = { host: OWN, port: 6443, localServer: { addr: OWN, port: 6443, cert: certs.cert, key: certs.key } };
    assert.deepEqual(await probe(own), { preflight: { apiReachable: true }, check: null });
    // The same local address with nothing of the API server's behind it: refused.
    const r = await probe({ host: OWN, port: 6443 });
    assert.equal(r.preflight.apiReachable, false);
    assert.match(r.check ?? '', /ECONNREFUSED/);
  });
});

// Support for the connectivity-check netns test, run as a script inside a namespace:
//   serve DIR        the "API server" side: one listener per kind of answer (ports in SERVER_PORTS),
//                    prints "ready" once all listen; runs until killed
//   probe JSON       the node side: the agent's API server probe through Connectivity (preflight,
//                    then an optional change standing in for the apply, then the check); prints
//                    { preflight, check } as JSON
import { readFile } from 'node:fs/promises';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createServer as createTlsServer } from 'node:tls';
import { join } from 'node:path';
import { run } from '../../src/util/exec.js';
import { apiServerProbe } from '../../src/verify/api-server.js';
import { Connectivity } from '../../src/verify/connectivity.js';

const SELF = fileURLToPath(import.meta.url);

/** What listens on which port of the server namespace; REFUSED has no listener (the kernel resets). */
export const SERVER_PORTS = {
  /** TLS with a certificate of the test's CA for the server's address and name. */
  tls: 6443,
  /** TLS with a certificate for the same names from another CA. */
  otherCa: 6444,
  /** Accepts the connection, then resets it (RST) at once. */
  acceptReset: 6445,
  /** Accepts and never says a word (no TLS). */
  silent: 6446,
  /** Plain TCP that answers in cleartext (an HTTP server, not TLS). */
  plain: 6447,
  refused: 6448,
} as const;

/** Certificate files the test made with openssl (lab/src/pki.ts). */
export interface CertFiles { ca: string; cert: string; key: string; otherCert: string; otherKey: string }

async function serve(dir: string): Promise<void> {
  const files = JSON.parse(await readFile(join(dir, 'certs.json'), 'utf8')) as CertFiles;
  const listen = (s: NetServer, port: number) => new Promise<void>((r) => s.listen(port, '0.0.0.0', r));
  await listen(createTlsServer({ cert: await readFile(files.cert), key: await readFile(files.key) }, (s) => s.end()), SERVER_PORTS.tls);
  await listen(createTlsServer({ cert: await readFile(files.otherCert), key: await readFile(files.otherKey) }, (s) => s.end()), SERVER_PORTS.otherCa);
  await listen(createNetServer((s) => s.resetAndDestroy()), SERVER_PORTS.acceptReset);
  await listen(createNetServer(() => undefined), SERVER_PORTS.silent);
  await listen(createNetServer((s) => s.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n')), SERVER_PORTS.plain);
  process.stdout.write('ready\n');
}

export interface ProbeRequest {
  host: string;
  port: number;
  ca: string;
  servername?: string;
  rejectUnauthorized?: boolean;
  timeoutMs: number;
  /** Commands run between the preflight and the check (what "the apply" changes on the node). */
  between?: string[][];
  /** A TLS server of the node's own, on this address and port, with the CA's certificate (a local API server). */
  localServer?: { addr: string; port: number; cert: string; key: string };
}

async function probe(req: ProbeRequest): Promise<void> {
  if (req.localServer) {
    const l = req.localServer;
    const s = createTlsServer({ cert: await readFile(l.cert), key: await readFile(l.key) }, (sock) => sock.end());
    await new Promise<void>((r) => s.listen(l.port, l.addr, r));
    s.unref();
  }
  const ca = await readFile(req.ca);
  const c = new Connectivity({
    timeoutMs: req.timeoutMs, intervalMs: 200,
    probes: [apiServerProbe({
      host: req.host, port: req.port,
      tls: async () => ({ ca, ...(req.servername ? { servername: req.servername } : {}), ...(req.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}) }),
    })],
  });
  const preflight = await c.preflight();
  for (const argv of req.between ?? []) await run(argv);
  const check = await c.check();
  process.stdout.write(JSON.stringify({ preflight, check: check ?? null }));
  process.exit(0);
}

if (process.argv[1] === SELF && process.argv[2] === 'serve') await serve(process.argv[3]!);
else if (process.argv[1] === SELF && process.argv[2] === 'probe') await probe(JSON.parse(process.argv[3]!) as ProbeRequest);

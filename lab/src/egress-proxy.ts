// The API server's way to the kubelets (kubectl logs/exec, probes of the apiserver → kubelet
// path). The API server runs on this machine's loopback and the kubelets inside the nodes'
// network namespaces, which it cannot route to. Its egress selector (the "cluster" egress, as
// Konnectivity uses) sends each such connection as an HTTP CONNECT over a unix socket to this
// proxy, which runs in the lab's switch namespace and dials the node there. Only addresses of
// the lab's management segment are dialled: the proxy can reach nothing the lab did not create.
//
// Run: node egress-proxy.js SOCKET PREFIX   (PREFIX like 10.88.0.)
import { createConnection, createServer, isIPv4, type Socket } from 'node:net';
import { rmSync } from 'node:fs';

const HEADER_MAX = 8192;

/** The target of a CONNECT request head, or an error message. Pure, for the unit test. */
export function connectTarget(head: string, allowedPrefix: string): { host: string; port: number } | { error: string } {
  const m = /^CONNECT ([0-9.]+):(\d{1,5}) HTTP\/1\.[01]\r\n/.exec(head);
  if (!m) return { error: 'only CONNECT host:port is served' };
  const host = m[1]!;
  const port = Number(m[2]);
  if (!isIPv4(host) || !host.startsWith(allowedPrefix))
    return { error: `${host} is not on the lab's management segment` };
  if (port < 1 || port > 65535) return { error: `bad port ${port}` };
  return { host, port };
}

function serve(client: Socket, allowedPrefix: string): void {
  let buf = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) {
      if (buf.length > HEADER_MAX) client.destroy();
      return;
    }
    client.off('data', onData);
    const t = connectTarget(buf.subarray(0, end + 4).toString('latin1'), allowedPrefix);
    if ('error' in t) {
      client.end(`HTTP/1.1 403 Forbidden\r\ncontent-length: ${t.error.length}\r\n\r\n${t.error}`);
      return;
    }
    const upstream = createConnection({ host: t.host, port: t.port });
    upstream.setTimeout(10_000, () => upstream.destroy(new Error('connect timeout')));
    upstream.once('connect', () => {
      upstream.setTimeout(0);
      client.write('HTTP/1.1 200 Connection established\r\n\r\n');
      const rest = buf.subarray(end + 4);
      if (rest.length) upstream.write(rest);
      client.pipe(upstream).pipe(client);
    });
    upstream.once('error', (e) => {
      if (!client.destroyed) client.end(`HTTP/1.1 502 Bad Gateway\r\n\r\n${e.message}`);
    });
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  };
  client.on('data', onData);
  client.on('error', () => undefined);
}

function main(argv: string[]): void {
  const [socket, prefix] = argv;
  if (!socket || !prefix) throw new Error('usage: egress-proxy SOCKET ALLOWED_PREFIX');
  rmSync(socket, { force: true });
  const server = createServer((c) => serve(c, prefix));
  server.listen(socket);
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => server.close(() => process.exit(0)));
}

if (process.argv[1]?.endsWith('egress-proxy.js')) main(process.argv.slice(2));

// The agent at rest without the lab: the real agent (bin/ovirt-node-network-handler.js run, its
// launcher's V8 flags included) in a network namespace of this script's own with 4 and with 1000
// interfaces, talking to a minimal API server (this script's `serve` mode, in the same
// namespace, over TLS as a real one: GET/POST of the object, JSON and merge patches of its
// status applied and echoed to the watch, Events) — the boundary is the HTTP API, nothing of the
// product is stubbed. Several variants (V8 flags, agent arguments) run side by side in the same
// namespace, so their CPU seconds are compared under the same load (a ratio in the same run).
// Sampled every 5 s: RSS from /proc/PID/smaps_rollup (private = anonymous; file = the node
// binary's pages), CPU from /proc/PID/stat; at the end the V8 heap from the agent's /metrics.
// Writes and their bytes are counted by the API server here (request bodies, as the lab's
// audit log counts them).
//
// As root, after a build (namespaces memtest-<N>, deleted at the end):
//   nice node_modules/node/bin/node scripts/agent-memory.mjs [--interfaces 4,1000] [--seconds 300]
//     [--settle 20] [--observe-interval 10] [--statistics-interval 30]
//     [--variant 'name=default'] [--variant 'name=lite:node=--max-semi-space-size=1 --lite-mode']
//     [--variant 'name=low:args=--low-memory']
// A variant with no node flags is started as the DaemonSet starts it (the launcher picks the
// flags); with node flags, those are the flags (the launcher re-executes only when
// --max-semi-space-size is missing, so give it).
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:https';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const NODE = join(ROOT, 'node_modules', 'node', 'bin', 'node');
const ONN = '/apis/ovirt.org/v1alpha1/ovirtnodenetworks';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));


// ---- the API server (one process per namespace, every variant's object) -------------------

/** RFC 6902 on a JSON document: add, replace, remove (all the agent sends). */
function jsonPatch(doc, ops) {
  for (const op of ops) {
    const parts = op.path.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (parts.length === 0) { doc = op.value; continue; }
    let parent = doc;
    for (const p of parts.slice(0, -1)) {
      if (parent[p] === undefined || parent[p] === null || typeof parent[p] !== 'object') throw Object.assign(new Error(`path ${op.path} does not exist`), { code: 422 });
      parent = parent[p];
    }
    const last = parts.at(-1);
    if (op.op === 'add' || op.op === 'replace') parent[last] = op.value;
    else if (op.op === 'remove') {
      if (!(last in parent)) throw Object.assign(new Error(`path ${op.path} does not exist`), { code: 422 });
      delete parent[last];
    } else throw Object.assign(new Error(`op ${op.op} not supported`), { code: 422 });
  }
  return doc;
}

/** RFC 7386. */
function mergePatch(target, patch) {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out = target !== null && typeof target === 'object' && !Array.isArray(target) ? target : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

async function serve(port, certDir, logPath) {
  const objects = new Map();
  const watchers = new Map();
  let rv = 1;
  const writes = [];
  const send = (res, code, body) => {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json' });
    res.end(text);
  };
  const notify = (name, type) => {
    const line = JSON.stringify({ type, object: objects.get(name) }) + '\n';
    for (const w of watchers.get(name) ?? []) w.write(line);
  };
  const server = createServer({ key: readFileSync(join(certDir, 'key.pem')), cert: readFileSync(join(certDir, 'cert.pem')) }, (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const url = new URL(req.url, 'https://x');
      try {
        if (req.method === 'GET' && url.pathname.startsWith('/api/v1/nodes/')) return send(res, 200, { metadata: { uid: 'node-uid' } });
        if (req.method === 'POST' && url.pathname.endsWith('/events')) return send(res, 201, {});
        if (req.method === 'GET' && url.pathname === ONN && url.searchParams.get('watch') === 'true') {
          const name = url.searchParams.get('fieldSelector').replace('metadata.name=', '');
          res.writeHead(200, { 'Content-Type': 'application/json' });
          const set = watchers.get(name) ?? new Set();
          watchers.set(name, set);
          set.add(res);
          const since = Number(url.searchParams.get('resourceVersion') ?? 0);
          if (objects.has(name) && Number(objects.get(name).metadata.resourceVersion) > since) res.write(JSON.stringify({ type: 'MODIFIED', object: objects.get(name) }) + '\n');
          const t = setTimeout(() => res.end(), Number(url.searchParams.get('timeoutSeconds') ?? 300) * 1000);
          res.on('close', () => { clearTimeout(t); set.delete(res); });
          return;
        }
        const m = /^\/apis\/ovirt\.org\/v1alpha1\/ovirtnodenetworks(?:\/([^/]+))?(\/status)?$/.exec(url.pathname);
        if (!m) return send(res, 404, { kind: 'Status', code: 404, message: 'not found' });
        const name = m[1] && decodeURIComponent(m[1]);
        if (req.method === 'GET') return objects.has(name) ? send(res, 200, objects.get(name)) : send(res, 404, { kind: 'Status', code: 404, message: 'not found' });
        if (req.method === 'POST') {
          const obj = JSON.parse(body);
          obj.metadata = { ...obj.metadata, uid: `uid-${obj.metadata.name}`, generation: 1, resourceVersion: String(++rv) };
          objects.set(obj.metadata.name, obj);
          notify(obj.metadata.name, 'ADDED');
          return send(res, 201, obj);
        }
        if (req.method === 'PATCH' && m[2]) {
          const obj = objects.get(name);
          if (!obj) return send(res, 404, { kind: 'Status', code: 404, message: 'not found' });
          const parsed = JSON.parse(body);
          // A copy: a refused patch leaves the object as it was, as the API server does.
          const copy = structuredClone(obj);
          const next = req.headers['content-type'] === 'application/json-patch+json' ? jsonPatch(copy, parsed) : mergePatch(copy, parsed);
          // The API server's optimistic concurrency: a patch that sets another resourceVersion is a conflict.
          if (next.metadata.resourceVersion !== obj.metadata.resourceVersion) return send(res, 409, { kind: 'Status', code: 409, reason: 'Conflict', message: 'the object has been modified' });
          next.metadata.resourceVersion = String(++rv);
          objects.set(name, next);
          // As the audit log counts a request: its body as JSON.
          writes.push({ name, t: Date.now(), bytes: JSON.stringify(parsed).length, type: req.headers['content-type'] });
          if (process.env.AGENT_MEMORY_DEBUG) process.stderr.write(`PATCH ${name}: ${JSON.stringify(parsed).slice(0, Number(process.env.AGENT_MEMORY_DEBUG))}\n`);
          notify(name, 'MODIFIED');
          return send(res, 200, next);
        }
        return send(res, 405, { kind: 'Status', code: 405, message: 'not allowed' });
      } catch (e) {
        return send(res, e.code ?? 500, { kind: 'Status', code: e.code ?? 500, message: e.message });
      }
    });
  });
  server.listen(port, '127.0.0.1');
  const dump = () => writeFileSync(logPath, JSON.stringify({ writes, objects: Object.fromEntries(objects) }));
  process.on('SIGUSR1', dump);
  process.on('SIGTERM', () => { dump(); process.exit(0); });
}

// ---- the run --------------------------------------------------------------------------------

function sh(argv, input) {
  return execFileSync(argv[0], argv.slice(1), { input, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
}

/** A namespace of `n` interfaces: lo, veth pairs up (one end with an address and a default route), a bridge when n is even. */
function makeNamespace(ns, n) {
  sh(['ip', 'netns', 'add', ns]);
  const lines = ['link set lo up'];
  const pairs = Math.floor((n - 1) / 2);
  for (let i = 0; i < pairs; i++) lines.push(`link add ma${i} type veth peer name mb${i}`, `link set ma${i} up`, `link set mb${i} up`);
  if ((n - 1) % 2) lines.push('link add mbr0 type bridge');
  lines.push('addr add 10.77.0.1/24 dev ma0', 'route add default via 10.77.0.254 dev ma0 onlink');
  sh(['ip', '-n', ns, '-batch', '-'], lines.join('\n') + '\n');
  return JSON.parse(sh(['ip', '-n', ns, '-json', 'link', 'show'])).length;
}

function parseVariant(s) {
  const v = { name: s, node: [], args: [] };
  for (const part of s.split(':')) {
    const [k, ...rest] = part.split('=');
    const val = rest.join('=');
    if (k === 'name') v.name = val;
    else if (k === 'node') v.node = val.split(' ').filter(Boolean);
    else if (k === 'args') v.args = val.split(' ').filter(Boolean);
    else if (k === 'env') for (const kv of val.split(' ').filter(Boolean)) (v.env ??= {})[kv.split('=')[0]] = kv.split('=').slice(1).join('=');
    else throw new Error(`variant part ${part}: name=, node=, args= or env=`);
  }
  return v;
}

function usage(pid) {
  if (!existsSync(`/proc/${pid}/smaps_rollup`)) return { rss: NaN, anon: NaN, file: NaN, cpu: NaN };
  const roll = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (f) => Number(new RegExp(`^${f}:\\s+(\\d+)`, 'm').exec(roll)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime, stime, cutime, cstime (the agent's ip children included).
  const ticks = [11, 12, 13, 14].reduce((s, i) => s + Number(f[i]), 0);
  return { rss: kb('Rss') / 1024, anon: kb('Anonymous') / 1024, file: (kb('Rss') - kb('Anonymous')) / 1024, cpu: ticks / 100 };
}

const metricValue = (text, name) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)`, 'm').exec(text)?.[1] ?? NaN);

async function main() {
  const { values } = parseArgs({
    options: {
      interfaces: { type: 'string', default: '4,1000' },
      seconds: { type: 'string', default: '300' },
      settle: { type: 'string', default: '20' },
      /** Appended to the namespaces' names (memtest-<N><tag>), for runs side by side. */
      tag: { type: 'string' },
      'observe-interval': { type: 'string', default: '10' },
      'statistics-interval': { type: 'string', default: '30' },
      variant: { type: 'string', multiple: true },
      json: { type: 'string' },
      'smaps-dir': { type: 'string' },
    },
  });
  const variants = (values.variant?.length ? values.variant : ['name=default']).map(parseVariant);
  const sizes = values.interfaces.split(',').map(Number);
  const seconds = Number(values.seconds);
  const dir = mkdtempSync(join(tmpdir(), 'agent-memory-'));
  sh(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '2', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
  writeFileSync(join(dir, 'kubeconfig'), [
    'apiVersion: v1', 'kind: Config', 'current-context: c',
    'clusters: [{name: c, cluster: {server: "https://127.0.0.1:16443", certificate-authority: cert.pem}}]',
    'users: [{name: u, user: {token: t}}]', 'contexts: [{name: c, context: {cluster: c, user: u}}]', ''].join('\n'));
  const namespaces = [];
  const procs = [];
  const cases = [];
  try {
    for (const n of sizes) {
      const ns = `memtest-${n}${values.tag ?? ""}`;
      namespaces.push(ns);
      const count = makeNamespace(ns, n);
      const server = spawn('ip', ['netns', 'exec', ns, NODE, fileURLToPath(import.meta.url), 'serve', '16443', dir, join(dir, `${ns}.writes.json`)], { stdio: 'inherit' });
      procs.push(server);
      cases.push({ ns, n: count, server, agents: [] });
    }
    await sleep(1000);
    for (const c of cases) {
      variants.forEach((v, i) => {
        const state = join(dir, `${c.ns}-${v.name}`);
        sh(['mkdir', '-p', state]);
        writeFileSync(join(state, 'resolv.conf'), 'nameserver 10.77.0.254\n');
        const argv = [NODE, ...v.node, join(ROOT, 'bin', 'ovirt-node-network-handler.js'), 'run', '--node-name', `${c.ns}-${v.name}`,
          '--kubeconfig', join(dir, 'kubeconfig'), '--state-dir', state, '--resolv-conf', join(state, 'resolv.conf'),
          '--metrics-port', String(19200 + i), '--observe-interval', values['observe-interval'], '--statistics-interval', values['statistics-interval'],
          '--log-level', 'warn', ...v.args];
        const p = spawn('ip', ['netns', 'exec', c.ns, ...argv], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...v.env } });
        procs.push(p);
        c.agents.push({ v, p, port: 19200 + i, samples: [] });
      });
    }
    // As the lab's benchmark: 20 s to settle (start, first apply, first writes), then at rest.
    // Longer (--settle) lets the kernel's IPv6 chatter on the new interfaces (router
    // solicitations, backing off over the first minutes) die down.
    process.stderr.write(`agents started (${cases.map((c) => `${c.ns}: ${c.n} interfaces`).join(', ')}; ${variants.map((v) => v.name).join(', ')}); settling ${values.settle} s, then ${seconds} s at rest\n`);
    await sleep(Number(values.settle) * 1000);
    const start = Date.now();
    for (const c of cases) {
      for (const a of c.agents) a.cpu0 = usage(a.p.pid).cpu;
      c.server.kill('SIGUSR1');
    }
    await sleep(500);
    for (const c of cases) c.writes0 = JSON.parse(readFileSync(join(dir, `${c.ns}.writes.json`), 'utf8')).writes.length;
    while (Date.now() - start < seconds * 1000) {
      for (const c of cases) for (const a of c.agents) if (a.p.exitCode === null) a.samples.push(usage(a.p.pid));
      await sleep(Math.min(5000, Math.max(0, start + seconds * 1000 - Date.now())));
    }
    const rows = [];
    for (const c of cases) {
      c.server.kill('SIGUSR1');
      await sleep(500);
      const log = JSON.parse(readFileSync(join(dir, `${c.ns}.writes.json`), 'utf8'));
      for (const a of c.agents) {
        const name = `${c.ns}-${a.v.name}`;
        // Before the scrape below allocates: where the agent's memory is, by mapping.
        if (a.p.exitCode !== null) {
          rows.push({ interfaces: c.n, variant: a.v.name, died: `exit ${a.p.exitCode}` });
          continue;
        }
        if (values['smaps-dir']) writeFileSync(join(values['smaps-dir'], `${name}.smaps`), readFileSync(`/proc/${a.p.pid}/smaps`));
        const metrics = sh(['ip', 'netns', 'exec', c.ns, 'curl', '-s', `http://127.0.0.1:${a.port}/metrics`]);
        const writes = log.writes.slice(c.writes0).filter((w) => w.name === name && w.t >= start);
        const peak = a.samples.reduce((m, s) => (s.rss > m.rss ? s : m), a.samples[0]);
        const last = a.samples.at(-1);
        const stats = log.objects[name]?.status?.statistics ?? {};
        rows.push({
          interfaces: c.n, variant: a.v.name, rssMaxMb: +peak.rss.toFixed(1), anonAtMaxMb: +peak.anon.toFixed(1), fileAtMaxMb: +peak.file.toFixed(1),
          rssEndMb: +last.rss.toFixed(1), cpuS: +(usage(a.p.pid).cpu - a.cpu0).toFixed(2),
          heapUsedMb: +(metricValue(metrics, 'nodejs_heap_size_used_bytes') / 2 ** 20).toFixed(1), heapTotalMb: +(metricValue(metrics, 'nodejs_heap_size_total_bytes') / 2 ** 20).toFixed(1),
          externalMb: +(metricValue(metrics, 'nodejs_external_memory_bytes') / 2 ** 20).toFixed(1),
          writes: writes.length, kib: +(writes.reduce((s, w) => s + w.bytes, 0) / 1024).toFixed(1),
          kibPerS: +(writes.reduce((s, w) => s + w.bytes, 0) / 1024 / seconds).toFixed(2),
          statisticsShown: Object.keys(stats).length,
        });
      }
    }
    const base = (r) => rows.find((x) => x.interfaces === r.interfaces && x.variant === variants[0].name);
    for (const r of rows) if (r.cpuS !== undefined) r.cpuRatio = +(r.cpuS / base(r).cpuS).toFixed(2);
    console.table(rows);
    if (values.json) writeFileSync(values.json, JSON.stringify({ seconds, observeInterval: values['observe-interval'], statisticsInterval: values['statistics-interval'], variants, rows }, null, 2));
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await sleep(1000);
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    for (const ns of namespaces) {
      try { sh(['ip', 'netns', 'del', ns]); } catch { /* already gone */ }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'serve') await serve(Number(process.argv[3]), process.argv[4], process.argv[5]);
else await main();

// Least privilege (issues 7, 23) against the lab's real API server: the manifests pass server-side
// dry runs; this tree's RBAC and admission policies, installed by kustomize into a scratch
// namespace of their own (cluster-scoped names suffixed, no CRDs, no workloads), hold each service
// account to what docs/security.md says, also when the namespace is not the default one.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { join } from 'node:path';
import { run, waitFor } from '../../src/util/exec.js';
import { PROJECT_ROOT } from '../../lab/src/config.js';
import type { Lab } from '../../lab/src/index.js';
import { ensureLab, kubectlArgs, releaseLab } from '../../lab/client/index.js';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { serveMetrics } from '../../src/k8s/metrics-server.js';
import { KubernetesMetricsAuth, selfSignedCertificate } from '../../src/k8s/metrics-auth.js';
import { ApiHttp } from '../../src/k8s/http.js';
import { fromKubeconfigFile } from '../../src/k8s/connection.js';

let lab: Lab;
before(async () => {
  lab = await ensureLab();
});
after(releaseLab);

/** kubectl as the agent: nothing but the lab's server, its CA and the given bearer token. */
function agentArgs(tok: string, ...args: string[]): string[] {
  return ['kubectl', '--kubeconfig', '/dev/null', '--server', lab.state.apiServer!, '--certificate-authority', join(lab.paths.dir, 'pki', 'ca.crt'), '--token', tok, ...args];
}
function asAgent(tok: string, ...args: string[]) {
  return run(agentArgs(tok, ...args), { allowFailure: true });
}

describe('deploy manifests', () => {
  it('every manifest passes kubectl apply --dry-run=server', async () => {
    const files = (await readdir(join(PROJECT_ROOT, 'deploy'))).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    assert.ok(files.includes('daemonset.yaml') && files.includes('crd.yaml'));
    for (const f of files) {
      const r = await run(kubectlArgs(lab, 'apply', '--dry-run=server', '-f', join(PROJECT_ROOT, 'deploy', f)), { allowFailure: true });
      assert.equal(r.code, 0, `${f}: ${r.stderr}`);
    }
    const k = await run(kubectlArgs(lab, 'apply', '--dry-run=server', '-k', join(PROJECT_ROOT, 'deploy')), { allowFailure: true });
    assert.equal(k.code, 0, k.stderr);
  });
});


/** The scratch install: deploy/ built by kustomize with another namespace, only its RBAC and policies. */
const NS = 'ovnh-t-privs';
const SCRATCH_KINDS = new Set(['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);
let scratch = '';

async function scratchManifests(): Promise<string> {
  const dir = join(PROJECT_ROOT, '.tmp-tests', 'rbac-overlay');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'kustomization.yaml'), `resources: [../../deploy]\nnamespace: ${NS}\n`);
  const built = (await run(['kubectl', 'kustomize', dir])).stdout;
  await rm(dir, { recursive: true, force: true });
  const docs = parseAllDocuments(built).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string }; roleRef?: { kind: string; name: string }; subjects?: { namespace?: string }[]; spec?: { policyName?: string } });
  const out = docs.filter((d) => SCRATCH_KINDS.has(d.kind)).map((d) => {
    const clusterScoped = ['ClusterRole', 'ClusterRoleBinding', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'].includes(d.kind);
    if (clusterScoped) {
      d.metadata.name = `${d.metadata.name}-${NS}`;
      delete d.metadata.namespace;
    }
    if (d.roleRef?.kind === 'ClusterRole') d.roleRef.name = `${d.roleRef.name}-${NS}`;
    if (d.spec?.policyName) d.spec.policyName = `${d.spec.policyName}-${NS}`;
    return d;
  });
  // What the kustomize install into another namespace must give: every subject and object there.
  for (const d of out) {
    if (['ServiceAccount', 'Role', 'RoleBinding'].includes(d.kind)) assert.equal(d.metadata.namespace, NS, `${d.kind} ${d.metadata.name}`);
    for (const s of d.subjects ?? []) assert.equal(s.namespace, NS, `${d.kind} ${d.metadata.name} subject`);
  }
  assert.ok(out.some((d) => d.kind === 'ValidatingAdmissionPolicy'));
  return out.map((d) => JSON.stringify(d)).join('\n');
}

const STATUS_PATCH = JSON.stringify([{ op: 'add', path: '/status/infoStatus', value: { Success: { reason: '', message: '' } } }]);

/**
 * A JSON patch of an object's status as the agent sends it: straight to the API server (kubectl
 * patch would first get the status subresource, which the agent never does and may not).
 * Returns the HTTP code and the API server's message.
 */
async function patchStatusAs(tok: string, name: string): Promise<{ code: number; message: string }> {
  const r = await run(['curl', '-sS', '-o', '-', '-w', '\n%{http_code}', '--cacert', join(lab.paths.dir, 'pki', 'ca.crt'), '-X', 'PATCH',
    '-H', `Authorization: Bearer ${tok}`, '-H', 'Content-Type: application/json-patch+json', '--data-binary', STATUS_PATCH,
    `${lab.state.apiServer!}/apis/ovirt.org/v1alpha1/ovirtnodenetworks/${encodeURIComponent(name)}/status`]);
  const lines = r.stdout.trimEnd().split('\n');
  const code = Number(lines.pop());
  const body = JSON.parse(lines.join('\n') || '{}') as { message?: string };
  return { code, message: body.message ?? '' };
}

async function token(sa: string, boundNode?: string): Promise<string> {
  const bound = boundNode ? ['--bound-object-kind', 'Node', '--bound-object-name', boundNode] : [];
  return (await run(kubectlArgs(lab, 'create', 'token', sa, '-n', NS, '--duration', '10m', ...bound))).stdout.trim();
}

describe('this tree\'s RBAC and admission policies, installed into another namespace', () => {
  before(async () => {
    scratch = await scratchManifests();
    await run(kubectlArgs(lab, 'apply', '-f', '-'), { input: scratch });
    // A new policy takes effect once the API server has loaded it: wait for its first refusal.
    const [own, other] = lab.state.nodes.map((n) => n.name);
    const tok = await token('handler', own);
    await waitFor('the scratch admission policy in effect', async () => {
      return /only write the OvirtNodeNetwork of its own node/.test((await patchStatusAs(tok, other!)).message);
    }, 30_000, 500);
  });
  after(async () => {
    if (scratch) await run(kubectlArgs(lab, 'delete', '--ignore-not-found', '--wait=false', '-f', '-'), { input: scratch, allowFailure: true });
  });

  const canI = async (sa: string, ...args: string[]) => (await run(kubectlArgs(lab, 'auth', 'can-i', '--as', `system:serviceaccount:${NS}:${sa}`, ...args), { allowFailure: true })).stdout.trim();

  it('the agent: its object (no list), its status, Nodes by name, creating core Events, and nothing else', async () => {
    const want: [string[], 'yes' | 'no'][] = [
      [['get', 'ovirtnodenetworks.ovirt.org'], 'yes'],
      [['watch', 'ovirtnodenetworks.ovirt.org'], 'yes'],
      [['create', 'ovirtnodenetworks.ovirt.org'], 'yes'],
      [['patch', 'ovirtnodenetworks.ovirt.org', '--subresource=status'], 'yes'],
      [['get', 'nodes'], 'yes'],
      [['create', 'events', '-n', 'default'], 'yes'],
      [['list', 'ovirtnodenetworks.ovirt.org'], 'no'],
      [['update', 'ovirtnodenetworks.ovirt.org', '--subresource=status'], 'no'],
      [['update', 'ovirtnodenetworks.ovirt.org'], 'no'],
      [['patch', 'ovirtnodenetworks.ovirt.org'], 'no'],
      [['delete', 'ovirtnodenetworks.ovirt.org'], 'no'],
      [['list', 'nodes'], 'no'],
      [['patch', 'nodes'], 'no'],
      [['create', 'events.events.k8s.io', '-n', 'default'], 'no'],
      [['patch', 'events', '-n', 'default'], 'no'],
      [['update', 'events', '-n', 'default'], 'no'],
      [['list', 'secrets', '-A'], 'no'],
      [['create', 'tokenreviews.authentication.k8s.io'], 'no'],
      [['create', 'customresourcedefinitions'], 'no'],
    ];
    const got = [];
    for (const [args] of want) got.push([args, await canI('handler', ...args)]);
    assert.deepEqual(got, want);
  });

  it('the controller: its Lease in its namespace only, Events created (never patched)', async () => {
    assert.equal(await canI('network-policy-controller', 'create', 'events', '-n', 'default'), 'yes');
    assert.equal(await canI('network-policy-controller', 'patch', 'events', '-n', 'default'), 'no');
    assert.equal(await canI('network-policy-controller', 'update', 'leases.coordination.k8s.io', '-n', NS), 'yes');
    assert.equal(await canI('network-policy-controller', 'update', 'leases.coordination.k8s.io', '-n', 'kube-system'), 'no');
    assert.equal(await canI('network-policy-controller', 'patch', 'ovirtnodenetworks.ovirt.org', '--subresource=status'), 'no');
  });

  it('a node-bound agent token writes its own node\'s status and nothing of another node, in this namespace too', async () => {
    const [own, other] = lab.state.nodes.map((n) => n.name);
    const tok = await token('handler', own);
    const ok = await patchStatusAs(tok, own!);
    assert.equal(ok.code, 200, ok.message);
    const otherNode = await patchStatusAs(tok, other!);
    assert.equal(otherNode.code, 403);
    assert.match(otherNode.message, /only write the OvirtNodeNetwork of its own node/);
    const spec = await asAgent(tok, 'patch', 'ovirtnodenetwork', own!, '--type=merge', '-p', '{"spec":{"networks":{"x":{"bridged":true}}}}');
    assert.match(spec.stderr, /forbidden/i);
    const foreign = await run(agentArgs(tok, 'create', '--dry-run=server', '-f', '-'), {
      allowFailure: true,
      input: JSON.stringify({ apiVersion: 'ovirt.org/v1alpha1', kind: 'OvirtNodeNetwork', metadata: { name: 'not-my-node' }, spec: {} }),
    });
    assert.match(foreign.stderr, /only write the OvirtNodeNetwork of its own node/);
    const unbound = await patchStatusAs(await token('handler'), own!);
    assert.equal(unbound.code, 403);
    assert.match(unbound.message, /must be bound to a node/);
  });

  it('reads: the agent\'s own get and field-selected watch work, a list is refused; another node\'s object by name is readable (docs/security.md: no built-in authorizer narrows reads)', async () => {
    const [own, other] = lab.state.nodes.map((n) => n.name);
    const tok = await token('handler', own);
    assert.equal((await asAgent(tok, 'get', 'ovirtnodenetwork', own!, '-o', 'name')).code, 0);
    const watch = await asAgent(tok, 'get', '--raw', `/apis/ovirt.org/v1alpha1/ovirtnodenetworks?watch=true&fieldSelector=metadata.name%3D${own}&timeoutSeconds=1`);
    assert.equal(watch.code, 0, watch.stderr);
    assert.match(watch.stdout, new RegExp(`"name":"${own}"`));
    assert.doesNotMatch(watch.stdout, new RegExp(`"name":"${other}"`));
    const list = await asAgent(tok, 'get', 'ovirtnodenetworks');
    assert.match(list.stderr, /forbidden/i);
    // The documented limit: RBAC cannot tell one node's agent from another's.
    assert.equal((await asAgent(tok, 'get', 'ovirtnodenetwork', other!, '-o', 'name')).code, 0);
  });

  it('Events: the agent records them about its own node\'s object only; the API server takes them in "default" only', async () => {
    const [own, other] = lab.state.nodes.map((n) => n.name);
    const tok = await token('handler', own);
    const ev = (ns: string, about: string, kind = 'OvirtNodeNetwork') => JSON.stringify({ apiVersion: 'v1', kind: 'Event', metadata: { generateName: 'rbac-test.', namespace: ns }, involvedObject: { apiVersion: 'ovirt.org/v1alpha1', kind, name: about }, reason: 'RbacTest', message: 'rbac test', type: 'Normal' });
    const create = (input: string) => run(agentArgs(tok, 'create', '--dry-run=server', '-f', '-'), { allowFailure: true, input });
    const ownEv = await create(ev('default', own!));
    assert.equal(ownEv.code, 0, ownEv.stderr);
    for (const [input, why] of [[ev('default', other!), /only record Events about the OvirtNodeNetwork of its own node/], [ev('default', own!, 'Node'), /only record Events/], [ev(NS, own!), /does not match event.namespace/]] as const) {
      const r = await create(input);
      assert.notEqual(r.code, 0, input);
      assert.match(r.stderr, why);
    }
  });

  it('the controller\'s policy holds a controller token of this namespace too: no spec field but networks and bondings', async () => {
    const own = lab.state.nodes[0]!.name;
    const tok = await token('network-policy-controller', own);
    const r = await asAgent(tok, 'patch', 'ovirtnodenetwork', own, '--dry-run=server', '--type=merge', '-p', '{"spec":{"driftPolicy":"Report"}}');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /may change only spec\.networks and spec\.bondings/);
  });
});

describe('--metrics-auth=kubernetes through the real API server', () => {
  const MNS = `${NS}-metrics`;
  const reader = `${MNS}-reader`;
  before(async () => {
    await run(kubectlArgs(lab, 'create', 'namespace', MNS), { allowFailure: true });
    for (const sa of ['scraper', 'nobody']) await run(kubectlArgs(lab, 'create', 'serviceaccount', sa, '-n', MNS), { allowFailure: true });
    // The rule of deploy/metrics-auth's ovirt-node-network-handler-metrics-reader.
    await run(kubectlArgs(lab, 'create', 'clusterrole', reader, '--non-resource-url=/metrics', '--verb=get'), { allowFailure: true });
    await run(kubectlArgs(lab, 'create', 'clusterrolebinding', reader, `--clusterrole=${reader}`, `--serviceaccount=${MNS}:scraper`), { allowFailure: true });
  });
  after(async () => {
    await run(kubectlArgs(lab, 'delete', '--ignore-not-found', '--wait=false', 'clusterrolebinding', reader), { allowFailure: true });
    await run(kubectlArgs(lab, 'delete', '--ignore-not-found', '--wait=false', 'clusterrole', reader), { allowFailure: true });
    await run(kubectlArgs(lab, 'delete', '--ignore-not-found', '--wait=false', 'namespace', MNS), { allowFailure: true });
  });

  it('401 without a valid token, 403 without get /metrics, 200 with it; the probes stay open; HTTPS with the self-signed certificate', async () => {
    const registry = new Registry();
    new Counter({ name: 'ovnh_test_total', help: 'test', registers: [registry] }).inc();
    // The reviews go out as the lab's admin here; the agent makes them with its own token (system:auth-delegator).
    const http = new ApiHttp(await fromKubeconfigFile(lab.kubeconfig));
    const tls = await selfSignedCertificate(['localhost', '127.0.0.1']);
    const server = await serveMetrics({ registry }, { healthy: () => true, ready: () => true }, {
      port: 0, host: '127.0.0.1', tls, auth: new KubernetesMetricsAuth((path, body) => http.call('POST', path, { body })),
    });
    const port = (server.address() as AddressInfo).port;
    const get = (path: string, tok?: string) => new Promise<{ code: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, ca: tls.cert, headers: tok ? { Authorization: `Bearer ${tok}` } : {} }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    try {
      const sa = async (name: string) => (await run(kubectlArgs(lab, 'create', 'token', name, '-n', MNS, '--duration', '10m'))).stdout.trim();
      assert.equal((await get('/metrics')).code, 401);
      assert.equal((await get('/metrics', 'not-a-token')).code, 401);
      const nobody = await get('/metrics', await sa('nobody'));
      assert.equal(nobody.code, 403, nobody.body);
      const scraper = await get('/metrics', await sa('scraper'));
      assert.equal(scraper.code, 200, scraper.body);
      assert.match(scraper.body, /^ovnh_test_total 1$/m);
      for (const p of ['/healthz', '/readyz']) assert.equal((await get(p)).code, 200, p);
    } finally {
      server.close();
      http.close();
    }
  });
});

// Least privilege (issue 7) against the lab's real API server: the manifests pass server-side
// dry runs, and a node's service-account token can write only its own object's status.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../src/util/exec.js';
import { PROJECT_ROOT } from '../../src/lab/config.js';
import { HANDLER_NAMESPACE, HANDLER_SA } from '../../src/lab/agents.js';
import type { Lab } from '../../src/lab/index.js';
import { ensureLab, kubectlArgs, releaseLab } from '../helpers/lab.js';

let lab: Lab;
before(async () => {
  lab = await ensureLab();
});
after(releaseLab);

const SA = `system:serviceaccount:${HANDLER_NAMESPACE}:${HANDLER_SA}`;

async function token(boundNode?: string): Promise<string> {
  const bound = boundNode ? ['--bound-object-kind', 'Node', '--bound-object-name', boundNode] : [];
  return (await run(kubectlArgs(lab, 'create', 'token', HANDLER_SA, '-n', HANDLER_NAMESPACE, '--duration', '10m', ...bound))).stdout.trim();
}

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

describe('the agent\'s permissions', () => {
  const canI = async (...args: string[]) => (await run(kubectlArgs(lab, 'auth', 'can-i', '--as', SA, ...args), { allowFailure: true })).stdout.trim();

  it('RBAC grants its object and status, and nothing else', async () => {
    assert.equal(await canI('patch', 'ovirtnodenetworks.ovirt.org', '--subresource=status'), 'yes');
    assert.equal(await canI('watch', 'ovirtnodenetworks.ovirt.org'), 'yes');
    assert.equal(await canI('create', 'events'), 'yes');
    assert.equal(await canI('get', 'nodes'), 'yes');
    assert.equal(await canI('update', 'ovirtnodenetworks.ovirt.org'), 'no');
    assert.equal(await canI('patch', 'ovirtnodenetworks.ovirt.org'), 'no');
    assert.equal(await canI('delete', 'ovirtnodenetworks.ovirt.org'), 'no');
    assert.equal(await canI('list', 'secrets', '-A'), 'no');
    assert.equal(await canI('patch', 'nodes'), 'no');
    assert.equal(await canI('create', 'customresourcedefinitions'), 'no');
  });

  it('a node-bound token patches its own node\'s status, and is denied for another node, for spec, and for anything else', async () => {
    const [own, other] = lab.state.nodes.map((n) => n.name);
    const tok = await token(own);
    const patch = JSON.stringify([{ op: 'add', path: '/status/infoStatus', value: { Success: { reason: '', message: '' } } }]);
    const ok = await asAgent(tok, 'patch', 'ovirtnodenetwork', own!, '--subresource=status', '--type=json', '-p', patch);
    assert.equal(ok.code, 0, ok.stderr);
    const otherNode = await asAgent(tok, 'patch', 'ovirtnodenetwork', other!, '--subresource=status', '--type=json', '-p', patch);
    assert.notEqual(otherNode.code, 0);
    assert.match(otherNode.stderr, /only write the OvirtNodeNetwork of its own node/);
    const spec = await asAgent(tok, 'patch', 'ovirtnodenetwork', own!, '--type=merge', '-p', '{"spec":{"networks":{"x":{"bridged":true}}}}');
    assert.notEqual(spec.code, 0);
    assert.match(spec.stderr, /forbidden/i);
    const secrets = await asAgent(tok, 'get', 'secrets', '-n', 'kube-system');
    assert.match(secrets.stderr, /forbidden/i);
    const foreign = await run(agentArgs(tok, 'create', '-f', '-'), {
      allowFailure: true,
      input: JSON.stringify({ apiVersion: 'ovirt.org/v1alpha1', kind: 'OvirtNodeNetwork', metadata: { name: 'not-my-node' }, spec: {} }),
    });
    assert.match(foreign.stderr, /only write the OvirtNodeNetwork of its own node/);
  });

  it('a token not bound to a node is denied', async () => {
    const own = lab.state.nodes[0]!.name;
    const tok = await token();
    const patch = JSON.stringify([{ op: 'add', path: '/status/infoStatus', value: { Success: { reason: '', message: '' } } }]);
    const r = await asAgent(tok, 'patch', 'ovirtnodenetwork', own, '--subresource=status', '--type=json', '-p', patch);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /must be bound to a node/);
  });
});

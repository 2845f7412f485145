// The metrics server's flags and the review cache of --metrics-auth=kubernetes (pure logic; the
// reviews themselves against the real API server: test/integration/rbac.test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AUTH_CACHE_MS, KubernetesMetricsAuth, parseBindAddress, parseMetricsAuth, parsePort } from '../../src/k8s/metrics-auth.js';
import { installNamespace } from '../../src/cli/env.js';

describe('metrics flags', () => {
  it('--metrics-bind-address: every address, or an IP literal; never a host name', () => {
    for (const all of ['', '*']) assert.equal(parseBindAddress('--metrics-bind-address', all), '');
    for (const ip of ['127.0.0.1', '0.0.0.0', '::', '::1', '[::1]', 'fe80::1']) assert.equal(parseBindAddress('--metrics-bind-address', ip), ip.replace(/^\[|\]$/g, ''));
    for (const bad of ['localhost', 'node-1', '127.0.0.1:9187x', ' 1.2.3.4', 'a;b']) assert.throws(() => parseBindAddress('--metrics-bind-address', bad), /--metrics-bind-address .*expected an IP address/);
  });
  it('--metrics-port: 0..65535 only', () => {
    assert.equal(parsePort('--metrics-port', '0'), 0);
    assert.equal(parsePort('--metrics-port', '65535'), 65535);
    for (const bad of ['-1', '65536', '1.5', '', 'x', '0x10']) assert.throws(() => parsePort('--metrics-port', bad), /--metrics-port/);
  });
  it('--metrics-auth: none or kubernetes, including no inherited property name', () => {
    assert.equal(parseMetricsAuth('none'), 'none');
    assert.equal(parseMetricsAuth('kubernetes'), 'kubernetes');
    for (const bad of [...Object.getOwnPropertyNames(Object.prototype), 'Kubernetes', '']) assert.throws(() => parseMetricsAuth(bad), /--metrics-auth/);
  });
  it('the controller\'s namespace: the flag, else $POD_NAMESPACE, else the default; a DNS-1123 label', () => {
    assert.equal(installNamespace(undefined, {}), 'ovirt-node-network-handler');
    assert.equal(installNamespace(undefined, { POD_NAMESPACE: 'other' }), 'other');
    assert.equal(installNamespace('mine', { POD_NAMESPACE: 'other' }), 'mine');
    for (let b = 0; b < 256; b++) {
      const c = String.fromCharCode(b);
      const ok = /[a-z0-9]/.test(c);
      if (ok) assert.equal(installNamespace(c, {}), c);
      else assert.throws(() => installNamespace(c, {}), /DNS-1123/, `byte ${b}`);
    }
  });
});

describe('KubernetesMetricsAuth', () => {
  function recorder(authenticated: boolean, allowed: boolean) {
    const calls: string[] = [];
    const call = (path: string) => {
      calls.push(path.includes('tokenreviews') ? 'authn' : 'authz');
      return Promise.resolve(path.includes('tokenreviews')
        ? { status: { authenticated, user: { username: 'system:serviceaccount:m:scraper', groups: ['system:serviceaccounts'] } } }
        : { status: { allowed } });
    };
    return { calls, call };
  }
  it('no bearer token: 401 without asking the API server', async () => {
    const r = recorder(true, true);
    const a = new KubernetesMetricsAuth(r.call);
    for (const h of [undefined, '', 'Basic abc', 'Bearer', 'Bearer a b']) assert.deepEqual((await a.check(h, '/metrics')).ok, false);
    assert.deepEqual(r.calls, []);
  });
  it('caches as controller-runtime does: authentication 1 min, allow 5 min, deny 30 s', async () => {
    let now = 0;
    const r = recorder(true, true);
    const a = new KubernetesMetricsAuth(r.call, () => now);
    assert.equal((await a.check('Bearer t', '/metrics')).ok, true);
    assert.equal((await a.check('Bearer t', '/metrics')).ok, true);
    assert.deepEqual(r.calls, ['authn', 'authz']);
    now = AUTH_CACHE_MS.authn + 1;
    await a.check('Bearer t', '/metrics');
    assert.deepEqual(r.calls, ['authn', 'authz', 'authn']);
    const d = recorder(true, false);
    const b = new KubernetesMetricsAuth(d.call, () => now);
    assert.deepEqual(await b.check('Bearer t', '/metrics'), { ok: false, code: 403, reason: 'system:serviceaccount:m:scraper may not get /metrics' });
    now += AUTH_CACHE_MS.deny + 1;
    await b.check('Bearer t', '/metrics');
    assert.deepEqual(d.calls, ['authn', 'authz', 'authz']); // the user still cached, the denial not
    const u = recorder(false, true);
    assert.equal((await new KubernetesMetricsAuth(u.call).check('Bearer t', '/metrics') as { code: number }).code, 401);
    assert.deepEqual(u.calls, ['authn']);
  });
});

// The API server probe's decisions (src/verify/api-server.ts), pure: what `ip route get` says
// about the address, whether a local address fails the check, whether a completed handshake is
// the API server's. The sockets themselves: test/integration/verify-netns.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { handshakeVerdict, localVerdict, routeIsLocal, tlsReason } from '../../src/verify/api-server.js';

describe('routeIsLocal', () => {
  it('reads the kernel\'s answer: type local, and nothing else, is local', () => {
    // Captured from `ip -json route get` (iproute2 6.x): loopback, an address on an interface, IPv6, routed.
    assert.equal(routeIsLocal('[{"type":"local","dst":"127.0.0.1","dev":"lo","prefsrc":"127.0.0.1","flags":[],"uid":0,"cache":["local"]}]'), true);
    assert.equal(routeIsLocal('[{"type":"local","dst":"::1","from":"::","dev":"lo","table":"local","protocol":"kernel","prefsrc":"::1","metric":0,"flags":[],"pref":"medium"}]'), true);
    assert.equal(routeIsLocal('[{"dst":"8.8.8.8","gateway":"192.0.2.1","dev":"eth0","prefsrc":"192.0.2.2","flags":[],"uid":0,"cache":[]}]'), false);
    // Every other route type the kernel knows is not delivered here.
    for (const type of ['unicast', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat']) {
      assert.equal(routeIsLocal(JSON.stringify([{ type, dst: '10.0.0.1' }])), false, type);
    }
    assert.equal(routeIsLocal(''), false);
    assert.equal(routeIsLocal('[]'), false);
  });
});

describe('localVerdict', () => {
  it('fails only an address that turned local with the apply', () => {
    const table = [
      { now: false, before: false, fails: false },
      { now: false, before: true, fails: false }, // e.g. a control-plane node's VIP moved away
      { now: true, before: true, fails: false }, // kube-proxy IPVS (kube-ipvs0), a local API server
      { now: true, before: false, fails: true }, // the spec put the API server's address on the node
    ];
    for (const t of table) {
      const v = localVerdict('10.96.0.1', t.now, t.before);
      assert.equal(v !== undefined, t.fails, JSON.stringify(t));
      if (v) assert.match(v, /10\.96\.0\.1 is an address of this node since the apply/);
    }
  });
});

describe('handshakeVerdict', () => {
  it('accepts a verified certificate, and an unverified one only where the connection skips verification', () => {
    assert.equal(handshakeVerdict({ authorized: true }, true), undefined);
    assert.equal(handshakeVerdict({ authorized: true }, false), undefined);
    assert.equal(handshakeVerdict({ authorized: false, authorizationError: 'SELF_SIGNED_CERT_IN_CHAIN' }, false), undefined);
    for (const err of ['SELF_SIGNED_CERT_IN_CHAIN', new Error('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), null, undefined]) {
      const v = handshakeVerdict({ authorized: false, authorizationError: err }, true);
      assert.match(v ?? '', /certificate is not the API server's/);
      if (err) assert.match(v!, new RegExp(String(err instanceof Error ? err.message : err)));
    }
  });
});

describe('tlsReason', () => {
  it('keeps OpenSSL\'s reason, not its file and line; other messages whole', () => {
    assert.equal(tlsReason('406D68F93A7F0000:error:0A00010B:SSL routines:tls_validate_record_header:wrong version number:../deps/openssl/openssl/ssl/record/methods/tlsany_meth.c:77:\n'), 'wrong version number');
    assert.equal(tlsReason('connect ECONNREFUSED 10.78.0.1:6448'), 'connect ECONNREFUSED 10.78.0.1:6448');
  });
});

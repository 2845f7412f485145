// The name rule in the CRDs, through the lab's real API server (its CEL and RE2): for each class
// of bad character (control characters, quotes, backslash, '#', whitespace, '/', ':', '.',
// '%', non-ASCII, a leading '-' or '_', too long, reserved, "if" + a number), an
// OvirtNodeNetwork and an OvirtNetworkPolicy naming a network, a bond, a nic, a bonding and a
// bond slave that way are refused (server-side dry run), with every field named in the message;
// the same objects with good names are accepted. The CRDs are deploy/crd.yaml's and
// deploy/crd-policy.yaml's schemas (as generated), installed under a group of the test's own so
// that the lab's product and other tests are not touched. Every byte value against the same CEL:
// test/unit/api-names.test.ts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { buildCrd, buildPolicyCrd } from '../../src/api/crd.js';
import { GROUP } from '../../src/api/constants.js';
import { run } from '../../src/util/exec.js';
import { ensureLab, kubectlArgs, releaseLab } from '../../lab/client/index.js';
import type { Lab } from '../../lab/src/index.js';

let lab: Lab;
const group = `t${randomBytes(3).toString('hex')}.names.ovnh`;

type Crd = { metadata: { name: string }; spec: { group: string } };
/** The generated CRD under the test's group. */
function regrouped(crd: Crd): Crd {
  const c = structuredClone(crd);
  c.metadata.name = c.metadata.name.replace(`.${GROUP}`, `.${group}`);
  c.spec.group = group;
  return c;
}
const crds = [regrouped(buildCrd() as Crd), regrouped(buildPolicyCrd() as Crd)];

before(async () => {
  lab = await ensureLab();
  await run(kubectlArgs(lab, 'apply', '-f', '-'), { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: crds }) });
  for (const c of crds) await run(kubectlArgs(lab, 'wait', '--for=condition=Established', `crd/${c.metadata.name}`, '--timeout=60s'));
});
after(async () => {
  if (lab) for (const c of crds) await run(kubectlArgs(lab, 'delete', 'crd', c.metadata.name, '--ignore-not-found', '--wait=false'), { allowFailure: true });
  await releaseLab();
});

/** A bad character class: how it spoils a network-ish name and a bond name. */
const CLASSES: [string, (base: string) => string][] = [
  ['ESC', (b) => `${b}\u001b[0m`],
  ['BEL', (b) => `${b}\u0007`],
  ['NUL', (b) => `${b}\u0000`],
  ['DEL', (b) => `${b}\u007f`],
  ['double quote', (b) => `${b}"`],
  ['single quote', (b) => `${b}'`],
  ['backslash', (b) => `${b}\\`],
  ['hash', (b) => `${b}#x`],
  ['space', (b) => `${b} x`],
  ['tab', (b) => `${b}\tx`],
  ['newline', (b) => `${b}\nx`],
  ['slash', (b) => `${b}/x`],
  ['colon', (b) => `${b}:x`],
  ['dot', (b) => `${b}.x`],
  ['percent', (b) => `${b}%d`],
  ['dollar', (b) => `${b}$x`],
  ['non-ASCII', (b) => `${b}ñ`],
  ['C1 control', (b) => `${b}\u009b`],
];
/** Whole names that are bad for reasons other than a character. */
const WHOLE: [string, string, string][] = [
  ['leading dash', '-net', '-bond'], ['leading underscore', '_net', '_bond'], ['reserved', 'default', 'bonding_masters'], ['if + number', 'if3', 'if3'],
];

function node(net: string, bond: string, nic: string) {
  return {
    apiVersion: `${group}/v1alpha1`, kind: 'OvirtNodeNetwork', metadata: { name: 'names-test' },
    spec: { networks: { [net]: { nic }, netb: { bonding: bond } }, bondings: { [bond]: { nics: [nic] } } },
  };
}
function policy(net: string, bond: string, nic: string) {
  return {
    apiVersion: `${group}/v1alpha1`, kind: 'OvirtNetworkPolicy', metadata: { name: 'names-test' },
    spec: { networks: { [net]: { nic }, netb: { bonding: bond } }, bondings: { [bond]: { nics: [nic] } } },
  };
}

async function dryRun(obj: unknown) {
  return run(kubectlArgs(lab, 'apply', '--dry-run=server', '-f', '-'), { input: JSON.stringify(obj), allowFailure: true });
}

/** The fields every bad object has wrong, as the API server names them. */
const KEYS = [/spec\.networks: /, /spec\.bondings: /];
/** (The server writes a plain map key as `.key`, others as `[key]`.) */
const VALUES = [/spec\.networks(\[[^\]]*\]|\.[^.\s]+)\.nic: /, /spec\.networks(\[netb\]|\.netb)\.bonding: /, /spec\.bondings(\[[^\]]*\]|\.[^.\s]+)\.nics\[0\]: /];
const FIELDS = [...KEYS, ...VALUES];

for (const [kind, make] of [['OvirtNodeNetwork', node], ['OvirtNetworkPolicy', policy]] as const) {
  describe(`${kind}: the API server enforces the name rule`, () => {
    it('good names are accepted', async () => {
      const r = await dryRun(make('net1', 'bond1', 'eth1'));
      assert.equal(r.code, 0, r.stderr);
    });

    it('names too long: the fields are refused by maxLength (the rest of the rules wait for them), the keys by the maps\' rules', async () => {
      const long = (b: string) => `${b}_0123456789abcdef`;
      const r = await dryRun(make(long('net1'), long('bond1'), long('eth1')));
      assert.notEqual(r.code, 0);
      for (const f of VALUES) assert.match(r.stderr, f, r.stderr);
      const o = make(long('net1'), 'bond1', 'eth1');
      o.spec.bondings = { [long('bond1')]: { nics: ['eth1'] } };
      const keys = await dryRun(o);
      assert.notEqual(keys.code, 0);
      for (const f of KEYS) assert.match(keys.stderr, f, keys.stderr);
    });

    for (const [what, spoil] of CLASSES) {
      it(`${what} in a network, bond, nic, bonding and bond slave name is refused, each field named`, async () => {
        const r = await dryRun(make(spoil('net1'), spoil('bond1'), spoil('eth1')));
        assert.notEqual(r.code, 0, `${what} accepted`);
        for (const f of FIELDS) {
          // NUL cannot even reach the schema: the API server refuses the JSON itself.
          if (what === 'NUL' && !f.test(r.stderr)) { assert.match(r.stderr, /invalid|error/i); break; }
          assert.match(r.stderr, f, `${what}: ${r.stderr}`);
        }
      });
    }

    for (const [what, net, bond] of WHOLE) {
      it(`a name with a ${what} is refused`, async () => {
        const r = await dryRun(make(net, bond, net));
        assert.notEqual(r.code, 0, `${what} accepted`);
        for (const f of FIELDS) assert.match(r.stderr, f, `${what}: ${r.stderr}`);
      });
    }
  });
}

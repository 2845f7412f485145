// Property tests: for random valid configs `running` and `desired`,
//   - a plan applied to running yields desired, and its inverse yields running again;
//   - undoing any executed prefix of a plan in reverse order restores running;
//   - every intermediate state of a plan (and of its rollback) is itself consistent: valid
//     relations between objects, nameservers only on the default-route network, no VLAN above a
//     lower device with a smaller MTU, only devices the configs mention;
//   - canonical configs survive spec round trips and pass validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { RunningConfig } from '../../src/api/config.js';
import { canonicalize, configToSpec } from '../../src/plan/canonicalize.js';
import {
  applyPlanToConfig, applyStep, invertPlan, plan, southboundMtu, southboundOf, type Step,
} from '../../src/plan/plan.js';
import { checkSpec, relationErrors } from '../../src/plan/validate.js';
import { editedPair, HOST, RUNS, validConfig } from '../helpers/configs.js';

/** Consistency of an intermediate state (duplicate addresses are tolerated: kernels allow them transiently). */
function stateProblems(c: RunningConfig): string[] {
  const problems = relationErrors(c, { host: HOST })
    .filter((e) => !/also used by network/.test(e.message))
    .map((e) => `${e.path}: ${e.message}`);
  for (const [name, n] of Object.entries(c.networks)) {
    if (n.nameservers.length > 0 && !n.defaultRoute) problems.push(`${name}: nameservers without defaultRoute`);
  }
  return problems;
}

/** Mentioned devices and objects: what a plan may touch. */
function mentioned(...configs: RunningConfig[]): Set<string> {
  const out = new Set<string>();
  for (const c of configs) {
    for (const [name, n] of Object.entries(c.networks)) {
      out.add(name);
      const s = southboundOf(n);
      if (s !== undefined) out.add(s);
    }
    for (const [name, b] of Object.entries(c.bondings)) {
      out.add(name);
      b.nics.forEach((nic) => out.add(nic));
    }
  }
  return out;
}

function subjects(s: Step): string[] {
  if ('network' in s) return [s.network];
  if ('device' in s) return [s.device];
  if (s.kind === 'setNicFeatures' || s.kind === 'setNicParams') return [s.nic];
  return 'nic' in s ? [s.bond, s.nic] : [s.bond];
}

/** Southbound MTUs of a settled config (not valid midway through a plan: carry the map then). */
function initialMtus(c: RunningConfig): Map<string, number> {
  const devMtu = new Map<string, number>();
  for (const d of mentioned(c)) devMtu.set(d, southboundMtu(c, d) ?? 1500);
  return devMtu;
}

/**
 * Runs a plan step by step from `start`, checking each intermediate state, and tracking
 * southbound MTUs the way the kernel would see them.
 */
function walk(start: RunningConfig, p: Step[], label: string, devMtu = initialMtus(start)): RunningConfig {
  const state = structuredClone(start);
  p.forEach((s, i) => {
    applyStep(state, s);
    if (s.kind === 'setMtu') {
      assert.equal(s.from, devMtu.get(s.device) ?? 1500, `${label} step ${i}: setMtu from`);
      devMtu.set(s.device, s.to);
    }
    if (s.kind === 'addBond') devMtu.set(s.bond, 1500);
    if (s.kind === 'removeBond') devMtu.delete(s.bond);
    const problems = stateProblems(state);
    assert.deepEqual(problems, [], `${label}: after step ${i} (${s.kind})`);
    for (const n of Object.values(state.networks)) {
      const sb = southboundOf(n);
      if (sb !== undefined && n.vlan !== undefined) {
        assert.ok(n.mtu <= (devMtu.get(sb) ?? 1500), `${label}: after step ${i}, VLAN mtu ${n.mtu} above ${sb} mtu ${devMtu.get(sb)}`);
      }
    }
  });
  return state;
}

test('generated configs are valid and survive the spec round trip', () => {
  fc.assert(fc.property(validConfig, (c) => {
    const spec = configToSpec(c);
    const r = checkSpec(spec, { host: HOST });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    assert.deepEqual(r.config, c);
    assert.deepEqual(canonicalize(spec), c);
  }), { numRuns: RUNS });
});

test('plan(desired, running) applied to running yields desired; its inverse yields running', () => {
  fc.assert(fc.property(validConfig, validConfig, (running, desired) => {
    const p = plan(desired, running);
    const devMtu = initialMtus(running);
    assert.deepEqual(walk(running, p, 'apply', devMtu), desired);
    // The southbound devices end at the MTU the desired networks need.
    for (const [d, mtu] of initialMtus(desired)) assert.equal(devMtu.get(d) ?? 1500, mtu, `mtu of ${d}`);
    assert.deepEqual(applyPlanToConfig(running, p), desired);
    assert.deepEqual(walk(desired, invertPlan(p), 'rollback', devMtu), running);
    for (const [d, mtu] of initialMtus(running)) assert.equal(devMtu.get(d) ?? 1500, mtu, `mtu of ${d} after rollback`);
  }), { numRuns: RUNS });
});

test('undoing any executed prefix restores running', () => {
  fc.assert(fc.property(validConfig, validConfig, fc.double({ min: 0, max: 1, noNaN: true }), (running, desired, at) => {
    const p = plan(desired, running);
    const prefix = p.slice(0, Math.floor(at * (p.length + 1)));
    const devMtu = initialMtus(running);
    const midway = walk(running, prefix, 'partial apply', devMtu);
    assert.deepEqual(walk(midway, invertPlan(prefix), 'partial rollback', devMtu), running);
    const before = initialMtus(running);
    for (const d of new Set([...before.keys(), ...devMtu.keys()])) assert.equal(devMtu.get(d) ?? 1500, before.get(d) ?? 1500, `mtu of ${d}`);
  }), { numRuns: RUNS });
});

test('a plan is minimal: nothing for equal configs, nothing for unchanged objects, only mentioned devices', () => {
  fc.assert(fc.property(validConfig, validConfig, (running, desired) => {
    assert.deepEqual(plan(running, structuredClone(running)), []);
    const p = plan(desired, running);
    const allowed = mentioned(running, desired);
    for (const s of p) for (const x of subjects(s)) assert.ok(allowed.has(x), `${s.kind} touches ${x}`);
    for (const [name, n] of Object.entries(desired.networks)) {
      if (JSON.stringify(n) === JSON.stringify(running.networks[name] ?? null)) {
        assert.ok(!p.some((s) => 'network' in s && s.network === name), `unchanged network ${name} in the plan`);
      }
    }
    for (const [name, b] of Object.entries(desired.bondings)) {
      if (JSON.stringify(b) === JSON.stringify(running.bondings[name] ?? null)) {
        assert.ok(!p.some((s) => 'bond' in s && s.bond === name), `unchanged bond ${name} in the plan`);
      }
    }
    // Each network and bond appears at most once as removed and once as added.
    const seen = new Set<string>();
    for (const s of p) {
      if (s.kind === 'removeNetwork' || s.kind === 'addNetwork' || s.kind === 'addBond' || s.kind === 'removeBond') {
        const key = `${s.kind} ${'network' in s ? s.network : s.bond}`;
        assert.ok(!seen.has(key), key);
        seen.add(key);
      }
    }
  }), { numRuns: RUNS });
});

test('edits in place: plan, rollback and partial rollback are consistent; every step kind occurs', () => {
  const kinds = new Set<string>();
  fc.assert(fc.property(editedPair, fc.double({ min: 0, max: 1, noNaN: true }), ([running, desired], at) => {
    const p = plan(desired, running);
    p.forEach((s) => kinds.add(s.kind));
    const devMtu = initialMtus(running);
    assert.deepEqual(walk(running, p, 'apply', devMtu), desired);
    assert.deepEqual(walk(desired, invertPlan(p), 'rollback', devMtu), running);
    const prefix = p.slice(0, Math.floor(at * (p.length + 1)));
    const mtus = initialMtus(running);
    assert.deepEqual(walk(walk(running, prefix, 'partial apply', mtus), invertPlan(prefix), 'partial rollback', mtus), running);
  }), { numRuns: RUNS });
  if (RUNS >= 200) {
    for (const k of ['setNetworkMtu', 'setBridge', 'setIpv4', 'setIpv6', 'setDefaultRoute', 'setNameservers', 'setBondOptions', 'setBondHwaddr', 'release', 'enslave', 'setMtu']) {
      assert.ok(kinds.has(k), `no ${k} step generated in ${RUNS} runs`);
    }
  }
});

// Round trip: the kernelConfig a node reports, written back as its spec, is a valid spec whose
// canonical form is that kernelConfig itself, and plans to nothing — from the running config and
// from what the kernel has (src/plan/drift.ts). Over the captured real kernels' fixtures (the VM
// with bonds and VLANs, a namespace, the lab's node), and over random configs through the kernel
// model (apply-lowering-properties reads each applied config back the same way).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernelConfig } from '../../src/observe/kernel-config.js';
import { assembleHostState } from '../../src/observe/parse.js';
import { canonicalize, configToSpec } from '../../src/plan/canonicalize.js';
import { driftBase } from '../../src/plan/drift.js';
import { validationFacts } from '../../src/model/host-facts.js';
import { plan } from '../../src/plan/plan.js';
import { checkSpec } from '../../src/plan/validate.js';
import { loadDumps, loadRunning, type FixtureName } from './observe-fixtures.js';

for (const name of ['vm', 'netns'] as FixtureName[]) {
  test(`${name}: the reported kernelConfig, as a spec, is valid, canonical as it is, and plans to nothing`, () => {
    const host = assembleHostState(loadDumps(name), 1);
    const running = loadRunning(name);
    const kc = kernelConfig(host, running);
    assert.ok(Object.keys(kc.networks).length + Object.keys(kc.bondings).length > 0, 'the fixture has handler-owned entities');
    const checked = checkSpec(configToSpec(kc), { host: validationFacts(host) });
    // (The VM fixture's bonds were captured under short names, from before bond names had to be
    // "bond…": that rule is the only one its spec breaks.)
    if (!checked.ok) assert.deepEqual(checked.errors.filter((e) => !/must be "bond" followed by/.test(e.message)), []);
    else assert.deepEqual(checked.config, kc, 'canonical as reported');
    assert.deepEqual(canonicalize(configToSpec(kc)), kc, 'canonical as reported');
    assert.deepEqual(plan(kc, kc), [], 'nothing to do from what the kernel reports');
    assert.deepEqual(kc, running, 'the fixture did not drift');
    const base = driftBase(running, kc);
    assert.deepEqual(base.drifted, []);
    assert.deepEqual(plan(kc, base.from, base), [], 'nothing to do from the drift base either');
  });
}

// The apply benchmark's pure parts: the timed child runs with the launcher's own V8 flags (one
// definition, bin/agent-v8.js), and the probe's time is what is reported apart.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { probeMs, variantFlags } from '../../bench/apply.js';
import { PROBE_PARTS } from '../../src/util/trace.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('apply benchmark', () => {
  it("times the agent's variant with exactly the launcher's flags, the other without lite mode only", async () => {
    const { AGENT_V8_FLAGS } = (await import(pathToFileURL(join(ROOT, 'bin', 'agent-v8.js')).href)) as {
      AGENT_V8_FLAGS: readonly string[];
    };
    assert.ok(AGENT_V8_FLAGS.includes('--lite-mode'));
    assert.deepEqual(variantFlags(AGENT_V8_FLAGS, 'agent'), [...AGENT_V8_FLAGS]);
    assert.deepEqual(
      variantFlags(AGENT_V8_FLAGS, 'no-lite'),
      AGENT_V8_FLAGS.filter((f) => f !== '--lite-mode'),
    );
  });

  it("counts the preflight and the check as the probe's time, nothing else", () => {
    const parts = {
      [PROBE_PARTS.preflight]: { ms: 3, count: 1 },
      [PROBE_PARTS.check]: { ms: 4, count: 1 },
      'ip -batch': { ms: 10, count: 1 },
    };
    assert.equal(probeMs({ ms: 20, parts }), 7);
    assert.equal(probeMs({ ms: 20, parts: { 'ip -batch': { ms: 10, count: 1 } } }), 0);
  });
});

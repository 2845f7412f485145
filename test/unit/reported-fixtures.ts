// OvirtNodeNetwork objects as an agent reports them, made by the real observe and status code
// from the captured dumps (observe-fixtures.ts): capabilities, kernelConfig and statistics of a
// second sample (the first is the sampler's baseline), conditions from conditionsFor. What the
// kubectl plugin's tests read instead of hand-written status.
import type { RunningConfig } from '../../src/api/config.js';
import { API_VERSION, KIND } from '../../src/api/constants.js';
import { StatusSchema, type Statistics } from '../../src/api/status.js';
import { conditionsFor, failed, success, type Phase } from '../../src/report/status-shapes.js';
import type { OnnObject } from '../../src/k8s/client.js';
import { capabilities, kernelConfig, StatisticsSampler } from '../../src/observe/index.js';
import { assembleHostState } from '../../src/observe/parse.js';
import type { HostState } from '../../src/observe/types.js';
import { configToSpec } from '../../src/plan/canonicalize.js';
import { loadDumps, loadRunning, type FixtureName } from './observe-fixtures.js';

/** Epoch seconds of the fixtures' first sample. */
export const T0 = 1_760_000_000;

export interface ReportedOptions {
  /** The object's name (default: the fixture's). */
  node?: string;
  /** Default: the fixture's running config as a spec (a settled node). */
  spec?: unknown;
  generation?: number;
  observedGeneration?: number;
  /** Default: available at `generation`. */
  phase?: Phase;
  /** The running config the agent observes with (default: the fixture's). */
  running?: RunningConfig;
  /** Changes the host between the two samples (traffic, a link going down), `seconds` apart (default 10). */
  between?: (host: HostState) => void;
  seconds?: number;
}

export function sampleHosts(name: FixtureName, o: Pick<ReportedOptions, 'between' | 'seconds'> = {}): [HostState, HostState] {
  const first = assembleHostState(loadDumps(name), T0);
  const second = assembleHostState(loadDumps(name), T0 + (o.seconds ?? 10));
  o.between?.(second);
  return [first, second];
}

/** Statistics of the second sample: rates over the interval, as the agent writes them. */
export function sampledStatistics(name: FixtureName, o: Pick<ReportedOptions, 'between' | 'seconds'> = {}): Statistics {
  const [first, second] = sampleHosts(name, o);
  const sampler = new StatisticsSampler();
  sampler.sample(first);
  return sampler.sample(second);
}

/**
 * Statistics as the agent writes them one after the other: one sampler over the fixture's host
 * read at each step's time (seconds after T0), each changed by its `between` first.
 */
export function statisticsSeries(name: FixtureName, steps: { at: number; between?: (host: HostState) => void }[]): Statistics[] {
  const sampler = new StatisticsSampler();
  return steps.map((s) => {
    const host = assembleHostState(loadDumps(name), T0 + s.at);
    s.between?.(host);
    return sampler.sample(host);
  });
}

export function reportedObject(name: FixtureName, o: ReportedOptions = {}): OnnObject {
  const running = o.running ?? loadRunning(name);
  const [, host] = sampleHosts(name, o);
  const generation = o.generation ?? 3;
  const phase = o.phase ?? { kind: 'available', generation };
  const status = {
    observedGeneration: o.observedGeneration ?? generation,
    capabilities: capabilities(host, running),
    statistics: sampledStatistics(name, o),
    kernelConfig: kernelConfig(host, running),
    infoStatus: success(),
    setupStatus: phase.kind === 'failed' ? failed(phase.reason, phase.message) : success(),
    conditions: conditionsFor(phase, undefined, new Date(T0 * 1000)),
  };
  // What the API server would store: the CRD's schema holds.
  StatusSchema.parse(status);
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: o.node ?? name, generation },
    spec: (o.spec ?? configToSpec(running)) as Record<string, unknown>,
    status: status as unknown as Record<string, unknown>,
  };
}

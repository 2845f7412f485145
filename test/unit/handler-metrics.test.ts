// The agent's metrics the alert rules stand on: series that exist at 0 from the start (so the
// first rollback or refused write raises an alert), bond slave and southbound link states from
// an observation of a captured host, status write failures by the API server's answer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { SETUP_FAILURE_REASONS, type Observation } from '../../src/report/results.js';
import { AgentMetrics, bondSlaveStates, lacpBondSwitches, southboundStates, statusWriteFailure, switchFrameHeadroom } from '../../src/agent/metrics.js';
import { StatusReporter } from '../../src/report/reporter.js';
import { ApiError } from '../../src/k8s/http.js';
import type { OnnObject } from '../../src/k8s/client.js';
import { reportedObject, type ReportedOptions } from './reported-fixtures.js';
import type { LldpTlv } from '../../src/api/status.js';

/** What the node backend hands the reporter after observing the captured VM host. */
function observation(o: ReportedOptions = {}): Observation {
  const s = reportedObject('vm', o).status!;
  return { capabilities: s.capabilities as Record<string, unknown>, kernelConfig: s.kernelConfig as Observation['kernelConfig'], statistics: s.statistics as Record<string, unknown>, statisticsTime: 1000, drifted: [] };
}

/** name{labels} value, for the series of one metric (default labels left out). */
async function series(m: AgentMetrics, name: string): Promise<Record<string, number>> {
  const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === name);
  assert.ok(metric, `${name} is registered`);
  const out: Record<string, number> = {};
  for (const v of (metric as unknown as { values: { labels: Record<string, string>; value: number }[] }).values) {
    const labels = Object.entries(v.labels).filter(([k]) => k !== 'node').map(([k, x]) => `${k}=${x}`).join(',');
    out[labels] = v.value;
  }
  return out;
}

describe('agent metrics', () => {
  it('every apply result and status write failure reason is a series at 0 before anything happened', async () => {
    const m = new AgentMetrics('n1');
    assert.deepEqual(await series(m, 'ovnh_applies_total'), Object.fromEntries(['success', ...SETUP_FAILURE_REASONS].map((r) => [`result=${r}`, 0])));
    assert.deepEqual(await series(m, 'ovnh_status_write_failures_total'), { 'reason=refused': 0, 'reason=server_error': 0, 'reason=no_answer': 0 });
    m.recordSetup({ ok: false, reason: 'ConnectivityLost', message: 'x', rolledBack: true, durationMs: 5 });
    assert.equal((await series(m, 'ovnh_applies_total'))['result=ConnectivityLost'], 1);
    assert.match(await m.registry.metrics(), /^ovnh_applies_total\{result="ConnectivityLost",node="n1"\} 1$/m);
  });

  it('a status write failure is named by the API server\'s answer', () => {
    assert.deepEqual([403, 413, 422, 429, 500, 503, undefined].map(statusWriteFailure), ['refused', 'refused', 'refused', 'refused', 'server_error', 'server_error', 'no_answer']);
  });

  it('bond slaves and networks\' southbounds: up from the reported link state, down when it goes down, gone with the device', async () => {
    assert.deepEqual(bondSlaveStates(observation()), [
      { bond: 'b4fx', slave: 'v4afx', up: true }, { bond: 'b4fx', slave: 'v4bfx', up: true },
      { bond: 'bafx', slave: 'da1fx', up: true }, { bond: 'bafx', slave: 'da2fx', up: true },
    ]);
    // nnfx is a nicless bridge: no southbound, no series.
    assert.deepEqual(southboundStates(observation()).map((s) => `${s.network}:${s.southbound}:${s.up}`).sort(), ['ndfx:b4fx:true', 'nsfx:bafx:true']);

    const m = new AgentMetrics('n1');
    m.recordObservation(observation({ between: (h) => { h.links.v4bfx!.operstate = 'down'; h.links.bafx!.operstate = 'down'; } }));
    assert.deepEqual(await series(m, 'ovnh_bond_slave_up'), { 'bond=b4fx,slave=v4afx': 1, 'bond=b4fx,slave=v4bfx': 0, 'bond=bafx,slave=da1fx': 1, 'bond=bafx,slave=da2fx': 1 });
    assert.deepEqual(await series(m, 'ovnh_network_southbound_up'), { 'network=ndfx,southbound=b4fx': 1, 'network=nsfx,southbound=bafx': 0 });
    // The next observation has no bonds and no networks: their series are gone, not stale.
    m.recordObservation({ ...observation(), capabilities: { nics: {} }, kernelConfig: { networks: {}, bondings: {} } });
    assert.deepEqual(await series(m, 'ovnh_bond_slave_up'), {});
    assert.deepEqual(await series(m, 'ovnh_network_southbound_up'), {});
  });

  it('the reporter counts a refused status write (the API server answered 422) apart from one that got no answer', async () => {
    const m = new AgentMetrics('n1');
    const answers: (Error | undefined)[] = [new ApiError(422, { message: 'status.capabilities: Invalid value' }, 'PATCH', '/x'), new Error('no answer from the API server within 10 s'), undefined];
    const obj: OnnObject = { apiVersion: 'ovirt.org/v1alpha1', kind: 'OvirtNodeNetwork', metadata: { name: 'n1', generation: 1 }, spec: {} };
    const r = new StatusReporter({
      name: 'n1', log: pino({ level: 'silent' }), metrics: m, connected: () => true,
      client: {
        patchStatus: async (_n, fields) => {
          const e = answers.shift();
          if (e) throw e;
          return { ...obj, status: fields };
        },
        event: async () => undefined,
      },
    });
    r.seen(obj);
    for (let i = 0; i < 3; i++) {
      r.observed(observation());
      await r.flush();
    }
    assert.deepEqual(await series(m, 'ovnh_status_write_failures_total'), { 'reason=refused': 1, 'reason=server_error': 0, 'reason=no_answer': 1 });
    assert.deepEqual(await series(m, 'ovnh_api_writes_total'), { '': 1 }, 'the third write went through');
  });
});

describe('metrics from what the switches announce (LLDP)', () => {
  const tlvs = (chassis: string, mfs?: string): LldpTlv[] => [
    { type: 1, name: 'Chassis ID', properties: { 'chassis ID subtype': 'MAC', 'chassis ID': chassis } },
    ...(mfs ? [{ type: 127, oui: 0x00120f, subtype: 4, name: 'MTU', properties: { mtu: mfs } }] : []),
  ];
  const caps = (mode: string) => ({
    bondings: { bond0: { slaves: ['eth1', 'eth2'], opts: { mode } } },
    networks: {
      storage: { southbound: 'bond0', mtu: '9000' },
      mgmt: { southbound: 'eth0', mtu: '1500' },
      nicless: { mtu: '1500' },
    },
  });

  it('counts the different switches an 802.3ad bond hears; other modes and silent bonds have no series', () => {
    const lldp = {
      eth1: { enabled: true, tlvs: tlvs('aa:aa:aa:aa:aa:aa') },
      eth2: { enabled: true, tlvs: tlvs('bb:bb:bb:bb:bb:bb') },
    };
    assert.deepEqual(lacpBondSwitches({ capabilities: caps('4'), lldp }), [{ bond: 'bond0', switches: 2 }]);
    const same = { ...lldp, eth2: { enabled: true, tlvs: tlvs('aa:aa:aa:aa:aa:aa') } };
    assert.deepEqual(lacpBondSwitches({ capabilities: caps('4'), lldp: same }), [{ bond: 'bond0', switches: 1 }]);
    assert.deepEqual(lacpBondSwitches({ capabilities: caps('1'), lldp }), []);
    assert.deepEqual(lacpBondSwitches({ capabilities: caps('4'), lldp: {} }), []);
    // A slave named like a built-in property reads nothing inherited.
    const proto = { bondings: { bond0: { slaves: ['constructor', '__proto__'], opts: { mode: '4' } } } };
    assert.deepEqual(lacpBondSwitches({ capabilities: proto, lldp: {} }), []);
  });

  it("gives each network's NICs the switch's frame size less the network's largest frame", () => {
    const lldp = {
      eth0: { enabled: true, tlvs: tlvs('cc:cc:cc:cc:cc:cc', '1518') },
      eth1: { enabled: true, tlvs: tlvs('aa:aa:aa:aa:aa:aa', '9216') },
      eth2: { enabled: true, tlvs: tlvs('aa:aa:aa:aa:aa:aa', '1518') },
    };
    assert.deepEqual(switchFrameHeadroom({ capabilities: caps('4'), lldp }), [
      { network: 'storage', nic: 'eth1', bytes: 9216 - 9018 },
      { network: 'storage', nic: 'eth2', bytes: 1518 - 9018 },
      { network: 'mgmt', nic: 'eth0', bytes: 0 },
    ]);
    // No MFS announced (or not a number): no series.
    const none = { eth0: { enabled: true, tlvs: [{ type: 127, oui: 0x00120f, subtype: 4, name: 'MTU', properties: { mtu: 'big' } }] } };
    assert.deepEqual(switchFrameHeadroom({ capabilities: caps('4'), lldp: none }), []);
  });
});

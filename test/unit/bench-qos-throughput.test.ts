// The QoS throughput benchmark's pure half (bench/lib/qos-throughput.ts): tc's counters and
// iperf3's JSON as the VM prints them, the script's sections, the evidence of contention and the
// verdicts — (a) the upper limit, (b) the link shares, "blocked" when HFSC never saw contention —
// and the generated docs section.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  activeRate,
  BEGIN,
  rootCapacityVerdict,
  END,
  evidence,
  measureScript,
  parseIperfClient,
  parseMeasurement,
  parseTcStats,
  qosThroughputSection,
  shareVerdict,
  steadyBps,
  tcSize,
  upperLimitVerdict,
  withQosThroughputSection,
  type Evidence,
  type FlowResult,
  type QosThroughputRaw,
} from '../../bench/lib/qos-throughput.js';
import type { ResultsFile } from '../../kit/report.js';

const TC = `qdisc hfsc 1389: root refcnt 2 default 1388 
 Sent 1234567 bytes 900 pkt (dropped 3, overlimits 41 requeues 2) 
 backlog 4542b 3p requeues 2
qdisc fq_codel 65: parent 1389:65 limit 10240p flows 1024 quantum 1514 target 5ms interval 100ms ecn drop_batch 64 
 Sent 1000000 bytes 700 pkt (dropped 3, overlimits 0 requeues 0) 
 backlog 3028b 2p requeues 0
  maxpacket 1514 drop_overlimit 0 new_flow_count 1 ecn_mark 0
  new_flows_len 0 old_flows_len 1
class hfsc 1389: root 
 Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) 
 backlog 0b 0p requeues 0
 period 0 level 1 

class hfsc 1389:65 parent 1389: leaf 65: ls m1 0bit d 0us m2 400bit ul m1 0bit d 0us m2 20Mbit 
 Sent 1000000 bytes 700 pkt (dropped 3, overlimits 40 requeues 0) 
 backlog 1514Kb 2p requeues 0
 period 12 work 1000000 bytes level 0 

class fq_codel 65:2d5 parent 65: 
 (dropped 0, overlimits 0 requeues 0) 
 backlog 3028b 2p requeues 0
  deficit -118 count 0 lastcount 0 ldelay 2us
`;

test('tc -s qdisc and class show: every entry with its counters; sizes as tc shortens them', () => {
  assert.deepEqual(
    [tcSize('0b'), tcSize('4542b'), tcSize('1514Kb'), tcSize('2Mb')],
    [0, 4542, 1514 * 1024, 2 * 1024 ** 2],
  );
  assert.throws(() => tcSize('12p'));
  const e = parseTcStats(TC);
  assert.deepEqual(
    e.map((x) => `${x.what} ${x.kind} ${x.handle} ${x.parent}`),
    [
      'qdisc hfsc 1389: root',
      'qdisc fq_codel 65: 1389:65',
      'class hfsc 1389: root',
      'class hfsc 1389:65 1389:',
      'class fq_codel 65:2d5 65:',
    ],
  );
  assert.deepEqual(e[0], {
    what: 'qdisc',
    kind: 'hfsc',
    handle: '1389:',
    parent: 'root',
    bytes: 1234567,
    packets: 900,
    drops: 3,
    overlimits: 41,
    requeues: 2,
    backlogBytes: 4542,
    backlogPackets: 3,
  });
  assert.equal(e[3]!.backlogBytes, 1514 * 1024);
  assert.equal(e[4]!.backlogPackets, 2);
});

const iperf = (ivs: [number, number][], bps: number) =>
  JSON.stringify(
    {
      start: {},
      intervals: [],
      end: { sum_sent: { bytes: 1, bits_per_second: bps, retransmits: 7, sender: true } },
      server_output_json: {
        start: {},
        intervals: ivs.map(([seconds, bytes]) => ({
          streams: [],
          sum: {
            start: 0,
            end: seconds,
            seconds,
            bytes,
            bits_per_second: (bytes * 8) / seconds,
            omitted: false,
            sender: false,
          },
        })),
        end: { sum_received: { start: 0, end: 10, seconds: 10, bytes: 1e7, bits_per_second: bps, sender: false } },
      },
    },
    null,
    2,
  );

test("iperf3's client JSON: the receiver's totals and intervals (--get-server-output); errors say so", () => {
  const f = parseIperfClient(
    iperf(
      [
        [1, 1_000_000],
        [1, 2_000_000],
        [1, 2_000_000],
        [0.1, 1_000_000],
      ],
      8e6,
    ),
  );
  assert.equal(f.bps, 8e6);
  assert.equal(f.retransmits, 7);
  assert.deepEqual(
    f.intervals.map((i) => i.bps),
    [8e6, 16e6, 16e6, 80e6],
  );
  // Steady: after the first interval, the short last one left out.
  assert.equal(steadyBps(f), 16e6);
  assert.throws(() => parseIperfClient('{"error": "unable to connect to server"}'), /unable to connect/);
  assert.throws(() => parseIperfClient('{"end": {}}'), /--get-server-output/);
});

test("the VM script: switch-side servers, clients bound to the networks' addresses, bounded, killed by PID", () => {
  const s = measureScript({
    dir: '/tmp/x',
    nic: 'eth1',
    switchNs: 'sw',
    seconds: 10,
    sampleSeconds: 0.5,
    flows: [
      { name: 'a', src: '198.18.101.2', dst: '198.18.101.1', port: 5301 },
      { name: 'b', src: '198.18.102.2', dst: '198.18.102.1', port: 5302 },
    ],
  });
  assert.match(s, /timeout 40 ip netns exec sw iperf3 -s -1 -J -B 198\.18\.101\.1 -p 5301 /);
  assert.match(s, /timeout 40 iperf3 -c 198\.18\.102\.1 -B 198\.18\.102\.2 -p 5302 -t 10 -J --get-server-output /);
  assert.match(s, /trap stop EXIT/);
  assert.equal(s.match(/echo \$! >> "\$D\/pids"/g)?.length, 5, 'two servers, the sampler, two clients');
  assert.ok(!/pkill|killall/.test(s));
});

const sample = (t: number, a: [number, number], b: [number, number], root = 0) => `@@sample ${t}
qdisc hfsc 1389: root refcnt 2 default 1388 
 Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues ${t}) 
 backlog 0b ${root}p requeues 0
class hfsc 1389:65 parent 1389: leaf 65: ls m1 0bit d 0us m2 600bit 
 Sent ${a[0]} bytes 1 pkt (dropped 0, overlimits 0 requeues 0) 
 backlog 0b ${a[1]}p requeues 0
class hfsc 1389:66 parent 1389: leaf 66: ls m1 0bit d 0us m2 200bit 
 Sent ${b[0]} bytes 1 pkt (dropped 0, overlimits 0 requeues 0) 
 backlog 0b ${b[1]}p requeues 0
`;

test("the script's output: flows and samples; the evidence of contention and the classes' L2 rates", () => {
  const out =
    `@@rc 0\n@@client a\n${iperf([[1, 1e6]], 8e6)}\n@@client b\n${iperf([[1, 1e6]], 4e6)}\n` +
    sample(100, [0, 0], [0, 0]) +
    sample(100.5, [1e6, 3], [5e5, 0], 3) +
    sample(101.5, [2.5e6, 2], [1e6, 4], 6) +
    sample(102, [3e6, 0], [1e6, 0]);
  const m = parseMeasurement(out);
  assert.deepEqual(Object.keys(m.flows), ['a', 'b']);
  assert.equal(m.samples.length, 4);
  const ev = evidence(m.samples, '1389:', { a: '1389:65', b: '1389:66' });
  assert.equal(ev.allBacklogged, 1);
  assert.equal(ev.root.maxBacklogPackets, 6);
  assert.equal(ev.root.backlogged, 2);
  assert.equal(ev.root.requeues, 2);
  assert.equal(ev.spacingS, 2 / 3);
  // Between the first sample off the start and the last short of the end: (2.5e6 - 1e6) B in 1 s.
  assert.equal(ev.classes.a!.l2Bps, 12e6);
  assert.equal(ev.classes.b!.l2Bps, 0, 'moved in one sample only');
  // Timed by two clock readings around the dump: their midpoint.
  assert.equal(parseMeasurement('@@sample 10.00 12.00\n').samples[0]!.t, 11);
  assert.equal(ev.classes.b!.backlogged, 1);
  assert.throws(
    () => parseMeasurement('@@client a\n{"error": "unable to connect to server: Connection refused"}\n'),
    /flow a: iperf3: unable to connect/,
  );
});

const flow = (bps: number, ivs: number[]): FlowResult => ({
  bps,
  bytes: 0,
  seconds: ivs.length,
  intervals: ivs.map((v) => ({ seconds: 1, bytes: v / 8, bps: v })),
});

test('activeRate: the idle edges left out', () => {
  const pts = [
    [0, 0],
    [1, 0],
    [2, 100],
    [3, 300],
    [4, 500],
    [5, 600],
    [6, 600],
  ].map(([t, bytes]) => ({ t: t!, bytes: bytes! }));
  assert.equal(activeRate(pts), ((500 - 100) * 8) / 2);
  assert.equal(activeRate(pts.slice(0, 2)), 0);
  assert.equal(activeRate([]), 0);
});

test('(a) the upper limit: the worst 1 s interval or the L2 rate within 5 % above it', () => {
  assert.equal(upperLimitVerdict(10e6, flow(9.6e6, [9.9e6, 10.4e6, 9.5e6]), 10.1e6).pass, true);
  const over = upperLimitVerdict(10e6, flow(9.6e6, [9.9e6, 10.6e6, 9.5e6]));
  assert.equal(over.pass, false);
  assert.equal(over.worstRatio, 1.06);
  // L2 counts the Ethernet header the receiver's goodput lacks: it can fail on its own.
  assert.equal(upperLimitVerdict(10e6, flow(9.6e6, [9.9e6]), 10.6e6).pass, false);
});

const ev = (all: number, samples: number): Evidence => ({
  samples,
  spacingS: 1,
  allBacklogged: all,
  root: { overlimits: 0, requeues: 0, drops: 0, maxBacklogPackets: 1, backlogged: all },
  classes: {},
});

test('(b) the link shares: each within 15 % of its share; off without contention is blocked, with it failed', () => {
  const pass = shareVerdict({ a: 75, b: 25 }, { a: 70e6, b: 28e6 }, ev(0, 20));
  assert.equal(pass.status, 'pass');
  assert.ok(Math.abs(pass.networks.a!.measured - 70 / 98) < 1e-12);
  assert.ok(Math.abs(pass.networks.b!.deviation - (28 / 98 / 0.25 - 1)) < 1e-12);
  const even = { a: 50e6, b: 49e6 };
  assert.equal(shareVerdict({ a: 75, b: 25 }, even, ev(2, 20)).status, 'blocked');
  assert.match(
    shareVerdict({ a: 75, b: 25 }, even, ev(2, 20)).reason,
    /no contention: both classes held packets in 2 of 20/,
  );
  assert.equal(shareVerdict({ a: 75, b: 25 }, even, ev(15, 20)).status, 'fail');
  // B just outside: 0.25 * 0.85 = 0.2125.
  assert.equal(shareVerdict({ a: 75, b: 25 }, { a: 79e6, b: 21e6 }, ev(20, 20)).status, 'fail');
});

test("HFSC's root class given a capacity: ignored, applied (held, throttled), or inconclusive", () => {
  const run = (a: number, b: number, overlimits = 0) => ({
    phase: 'x',
    flows: ['a', 'b'],
    results: {},
    samples: [],
    steadyBps: { a: a * 0.95, b: b * 0.95 },
    evidence: {
      ...ev(0, 10),
      root: { ...ev(0, 10).root, overlimits },
      classes: {
        a: { backlogged: 0, maxBacklogPackets: 0, l2Bps: a, overlimits: 0, drops: 0 },
        b: { backlogged: 0, maxBacklogPackets: 0, l2Bps: b, overlimits: 0, drops: 0 },
      },
    },
  });
  const ls = { a: 75, b: 25 };
  // Held, and the root throttled: applied; held without throttling: the flows never reached it.
  assert.equal(rootCapacityVerdict(100e6, ls, run(60e6, 40e6, 900), run(150e6, 150e6)).status, 'applied');
  assert.equal(rootCapacityVerdict(100e6, ls, run(60e6, 40e6), run(150e6, 150e6)).status, 'inconclusive');
  const ignored = rootCapacityVerdict(100e6, ls, run(150e6, 140e6), run(150e6, 150e6));
  assert.deepEqual([ignored.status, ignored.totalBps, ignored.uncappedBps], ['ignored', 290e6, 300e6]);
  assert.equal(rootCapacityVerdict(100e6, ls, run(150e6, 140e6, 900), run(1, 1)).status, 'ignored');
});

test("docs/benchmarks.md's section: from the raw records, between its markers, replaced in place", () => {
  const run = (phase: string, flows: string[], bps: Record<string, number>) => ({
    phase,
    flows,
    steadyBps: bps,
    results: Object.fromEntries(flows.map((k) => [k, flow(bps[k]!, [bps[k]!])])),
    evidence: ev(0, 20),
    samples: [],
  });
  const runs = [
    run('plain', ['a'], { a: 80e6 }),
    run('plain', ['a', 'b'], { a: 40e6, b: 40e6 }),
    run('ul', ['a'], { a: 19e6 }),
    run('ul', ['a', 'b'], { a: 19e6, b: 60e6 }),
    run('ls', ['a', 'b'], { a: 41e6, b: 39e6 }),
  ];
  const raw: QosThroughputRaw = {
    vm: { node: 'vm-node-1', accel: 'tcg', kernel: '6.1.0', driver: 'veth', iperf3: 'iperf 3.12' },
    nic: 'eth1',
    seconds: 10,
    ulBps: 20e6,
    ls: { a: 75, b: 25 },
    runs,
    verdicts: {
      upperLimit: upperLimitVerdict(20e6, runs[2]!.results.a!),
      upperLimitUnderContention: upperLimitVerdict(20e6, runs[3]!.results.a!),
      linkShare: shareVerdict({ a: 75, b: 25 }, runs[4]!.steadyBps, ev(0, 20)),
      baselineShare: shareVerdict({ a: 75, b: 25 }, runs[1]!.steadyBps, ev(0, 20)),
    },
  };
  const f = {
    command: 'node dist/bench/qos-throughput.js --out x.json',
    startedAt: 'T',
    host: { kernel: 'k', cpus: 2, node: 'v' },
    bench: [],
    reliability: [],
    raw: { qosThroughput: raw },
  } as ResultsFile;
  const s = qosThroughputSection(f);
  assert.ok(s.startsWith(BEGIN) && s.endsWith(END));
  assert.match(s, /`node dist\/bench\/qos-throughput\.js --out x\.json`/);
  assert.match(s, /\(a\) upper limit: \*\*met\*\*/);
  assert.match(s, /\(b\) link share: \*\*blocked\*\*/);
  assert.match(s, /\| 75\.0 % \(its link share\) \| 0\.\d+x \| within 15 %: blocked, no contention \|/);
  const doc = withQosThroughputSection('# B\n\n## Next\n', s, '## Next');
  assert.equal(withQosThroughputSection(doc, s, '## Next'), doc);
  assert.ok(doc.indexOf(END) < doc.indexOf('## Next'));
  assert.throws(() => qosThroughputSection({ ...f, raw: {} }), /raw\.qosThroughput/);
});

// deploy/monitoring: the rules pass `promtool check rules` and their tests (`promtool test
// rules`), use only metrics the agent exports, agree with the generated PrometheusRule; the
// PodMonitor selects the DaemonSet's pods on its metrics port and labels them as the rules
// expect; the plain Prometheus config scrapes the agents the same way and passes `promtool check
// config`. promtool comes with Debian's prometheus package (scripts/install-host-deps.sh).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { existsSync } from 'node:fs';
import { parse } from 'yaml';
import { AgentMetrics } from '../../src/agent/metrics.js';
import { PROJECT_ROOT } from '../../lab/src/config.js';
import { AGENT_JOB, prometheusArgv, prometheusConfig } from '../../src/monitoring/prometheus-config.js';
import { parseRuleGroups, PROMETHEUS_RULE_FILE, prometheusRule, prometheusRuleYaml, RULES_FILE } from '../../src/monitoring/rules.js';
import { run, type RunResult } from '../../src/util/exec.js';

const file = (p: string) => join(PROJECT_ROOT, p);
const RULES_TEST = file('deploy/monitoring/tests/rules.test.yaml');

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ovnh-monitoring-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** promtool's answer; a missing promtool fails the test, saying how to get it. */
async function promtool(...args: string[]): Promise<RunResult> {
  const found = (process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'promtool')).find((p) => existsSync(p));
  assert.ok(found, 'promtool is not on PATH: run scripts/install-host-deps.sh (it installs Debian\'s prometheus package, which has promtool)');
  return run([found, ...args], { allowFailure: true });
}

interface Rule { alert: string; expr: string; for?: string; labels: Record<string, string>; annotations: Record<string, string> }
const rules = async () => parseRuleGroups(await readFile(file(RULES_FILE), 'utf8'), RULES_FILE).flatMap((g) => g.rules as unknown as Rule[]);

describe('alert rules', () => {
  it('promtool check rules: the rules file is valid', async () => {
    const r = await promtool('check', 'rules', file(RULES_FILE));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS: 10 rules found/);
  });

  it('promtool test rules: every alert fires when it should and not otherwise', async () => {
    const r = await promtool('test', 'rules', RULES_TEST);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS/);
    // Each alert of the rules is exercised by the tests.
    const tested = new Set([...(await readFile(RULES_TEST, 'utf8')).matchAll(/alertname: (\w+)/g)].map((m) => m[1]));
    assert.deepEqual((await rules()).map((x) => x.alert).filter((a) => !tested.has(a)), []);
  });

  it('the alerts the issue asks for, each with a severity, a summary and a description', async () => {
    const all = await rules();
    assert.deepEqual(all.map((x) => x.alert), [
      'OvnhApplyFailed', 'OvnhConnectivityRollback', 'OvnhAgentNotReporting', 'OvnhStatusWriteRefused',
      'OvnhInterfaceErrorsRising', 'OvnhInterfaceDropsRising', 'OvnhBondSlaveDown', 'OvnhNetworkSouthboundDown',
      'OvnhLacpBondOnSeveralSwitches', 'OvnhNetworkMtuOverSwitchFrameSize',
    ]);
    for (const x of all) {
      assert.match(x.labels.severity ?? '', /^(warning|critical)$/, x.alert);
      assert.ok(x.annotations.summary && x.annotations.description, x.alert);
    }
  });

  it('every ovnh_ metric the rules use is one the agent registers; `up` is the agents\' job\'s', async () => {
    const registered = new Set((await new AgentMetrics('n1').registry.getMetricsAsJSON()).map((m) => m.name));
    const used = new Set((await rules()).flatMap((x) => [...x.expr.matchAll(/\bovnh_[a-z0-9_]+/g)].map((m) => m[0])));
    assert.ok(used.size >= 8, [...used].join(' '));
    assert.deepEqual([...used].filter((m) => !registered.has(m)), []);
    const jobs = (await rules()).flatMap((x) => [...x.expr.matchAll(/\bup\{job="([^"]+)"\}/g)].map((m) => m[1]));
    assert.deepEqual(jobs, [AGENT_JOB]);
  });

  it('prometheusrule.yaml is generated from rules.yaml (run `npm run gen:monitoring`): the same groups', async () => {
    const text = await readFile(file(RULES_FILE), 'utf8');
    const generated = await readFile(file(PROMETHEUS_RULE_FILE), 'utf8');
    assert.equal(generated, prometheusRuleYaml(text));
    const pr = parse(generated) as { apiVersion: string; kind: string; metadata: { namespace: string }; spec: { groups: unknown } };
    assert.deepEqual(pr, prometheusRule(parseRuleGroups(text, RULES_FILE)));
    assert.deepEqual(pr.spec.groups, (parse(text) as { groups: unknown }).groups);
    assert.equal(`${pr.apiVersion}/${pr.kind}`, 'monitoring.coreos.com/v1/PrometheusRule');
  });

  it('a rules file that is not one is refused naming the field', () => {
    assert.throws(() => parseRuleGroups('rules: []\n', 'x.yaml'), /^Error: x\.yaml: groups: must be a non-empty list$/);
    assert.throws(() => parseRuleGroups('groups:\n- name: g\n  rules: []\n', 'x.yaml'), /x\.yaml: groups\[0\]\.rules: must be a non-empty list/);
  });
});

describe('scraping the agents', () => {
  interface Manifest { kind: string; metadata: { name: string; namespace: string; labels?: Record<string, string> }; spec: Record<string, unknown> }
  const manifest = async (p: string) => parse(await readFile(file(p), 'utf8')) as Manifest;

  it('the PodMonitor selects the DaemonSet\'s pods on their metrics port, names the job and labels each target with its node', async () => {
    const ds = await manifest('deploy/daemonset.yaml');
    const pm = await manifest('deploy/monitoring/podmonitor.yaml');
    const pod = (ds.spec as { template: { metadata: { labels: Record<string, string> }; spec: { containers: { args: string[]; ports: { name: string; containerPort: number }[] }[] } } }).template;
    const spec = pm.spec as { selector: { matchLabels: Record<string, string> }; jobLabel: string; podMetricsEndpoints: { port: string; path: string; honorLabels: boolean; relabelings: { sourceLabels: string[]; targetLabel: string }[] }[] };
    assert.equal(pm.metadata.namespace, ds.metadata.namespace);
    for (const [k, v] of Object.entries(spec.selector.matchLabels)) assert.equal(pod.metadata.labels[k], v, `the pods carry ${k}=${v}`);
    assert.equal(pod.metadata.labels[spec.jobLabel], AGENT_JOB, 'the job the rules\' `up` selects');
    const [endpoint] = spec.podMetricsEndpoints;
    const container = pod.spec.containers[0]!;
    const port = container.ports.find((p) => p.name === endpoint!.port);
    assert.equal(port?.containerPort, 9187);
    assert.ok(container.args.includes(`--metrics-port=${port!.containerPort}`), 'the agent serves /metrics there');
    assert.equal(endpoint!.path, '/metrics');
    assert.equal(endpoint!.honorLabels, true);
    assert.deepEqual(endpoint!.relabelings, [{ sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' }]);
    const kust = await manifest('deploy/monitoring/kustomization.yaml') as unknown as { resources: string[] };
    assert.deepEqual(kust.resources.sort(), ['podmonitor.yaml', 'prometheusrule.yaml']);
    assert.equal((await manifest(PROMETHEUS_RULE_FILE)).metadata.namespace, ds.metadata.namespace);
  });

  it('prometheus.yml for given agents: one job as the PodMonitor\'s, a target per node with its label, the rules loaded; promtool check config passes', async () => {
    const text = prometheusConfig({
      agents: [{ node: 'ns-node-1', address: '10.88.0.11:9187' }, { node: 'vm-node-1', address: '[fd00:88::12]:9187' }],
      ruleFiles: [file(RULES_FILE)],
      scrapeIntervalSeconds: 5,
    });
    const cfg = parse(text) as { global: Record<string, string>; rule_files: string[]; scrape_configs: { job_name: string; honor_labels: boolean; static_configs: { targets: string[]; labels: Record<string, string> }[] }[] };
    assert.deepEqual(cfg.global, { scrape_interval: '5s', evaluation_interval: '15s' });
    assert.deepEqual(cfg.rule_files, [file(RULES_FILE)]);
    assert.equal(cfg.scrape_configs.length, 1);
    assert.equal(cfg.scrape_configs[0]!.job_name, AGENT_JOB);
    assert.equal(cfg.scrape_configs[0]!.honor_labels, true);
    assert.deepEqual(cfg.scrape_configs[0]!.static_configs, [
      { targets: ['10.88.0.11:9187'], labels: { node: 'ns-node-1' } },
      { targets: ['[fd00:88::12]:9187'], labels: { node: 'vm-node-1' } },
    ]);
    const path = join(tmp, 'prometheus.yml');
    await writeFile(path, text);
    const r = await promtool('check', 'config', path);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS: 10 rules found/, 'the rules file loads from the config');
  });

  it('bad agents, rule paths or intervals are refused naming each field; the command line', () => {
    assert.throws(() => prometheusConfig({
      agents: [{ node: 'a', address: '10.0.0.1' }, { node: 'a', address: '[10.0.0.2]:9187' }, { node: '', address: 'h:99999' }],
      ruleFiles: ['rules.yaml'],
      evaluationIntervalSeconds: 0.5,
    }), (e: Error) => {
      assert.equal(e.message, 'prometheus config: agents[0].address: "10.0.0.1" must be host:port ([address]:port for IPv6); ' +
        'agents[1].node: a is listed twice; agents[1].address: "[10.0.0.2]:9187" 10.0.0.2 in brackets must be an IPv6 address; ' +
        'agents[2].node: must not be empty; agents[2].address: "h:99999" port 99999 must be 1..65535; ' +
        'ruleFiles[0]: "rules.yaml" must be an absolute path (Prometheus reads it relative to the config file otherwise); ' +
        'evaluationIntervalSeconds: must be a positive whole number of seconds');
      return true;
    });
    assert.throws(() => prometheusConfig({ agents: [], ruleFiles: [] }), /agents: must list at least one agent/);
    assert.deepEqual(prometheusArgv({ configFile: '/run/lab/prometheus.yml', dataDir: '/run/lab/prometheus', listen: '127.0.0.1:19090' }), [
      '/usr/bin/prometheus', '--config.file=/run/lab/prometheus.yml', '--storage.tsdb.path=/run/lab/prometheus',
      '--web.listen-address=127.0.0.1:19090', '--storage.tsdb.retention.time=1d', '--log.level=warn',
    ]);
    assert.throws(() => prometheusArgv({ configFile: 'c', dataDir: 'd', listen: 'localhost' }), /prometheus listen: "localhost" must be host:port/);
  });
});

// Monitoring of the agents: the alert rules in both forms — deploy/monitoring/rules.yaml, the
// source, and the PrometheusRule generated from it (rules.ts; `npm run gen:monitoring` runs
// gen.ts) — and a plain Prometheus configuration and command line that scrape the agents
// (prometheus-config.ts). Pure but for the generator script.
// May import: api, util
export {
  AGENT_JOB,
  prometheusArgv,
  prometheusConfig,
  type AgentEndpoint,
  type PrometheusArgvOptions,
  type PrometheusConfigOptions,
} from './prometheus-config.js';
export {
  MONITORING_NAME,
  parseRuleGroups,
  PROMETHEUS_RULE_FILE,
  prometheusRule,
  prometheusRuleYaml,
  RULES_FILE,
  type RuleGroup,
} from './rules.js';

// The alert rules in both forms: deploy/monitoring/rules.yaml (the source, a plain Prometheus
// rules file) and the PrometheusRule generated from it for the Prometheus Operator. Pure.
import { parse, stringify } from 'yaml';
import { HANDLER_NAME } from '../api/constants.js';

/** Paths from the repository root. */
export const RULES_FILE = 'deploy/monitoring/rules.yaml';
export const PROMETHEUS_RULE_FILE = 'deploy/monitoring/prometheusrule.yaml';

/** The name of the PrometheusRule and of the namespace it goes in (deploy/namespace.yaml's). */
export const MONITORING_NAME = HANDLER_NAME;

export interface RuleGroup {
  name: string;
  rules: Record<string, unknown>[];
}

/** The groups of a rules file; an error names the field that is not what Prometheus reads. */
export function parseRuleGroups(text: string, source: string): RuleGroup[] {
  const doc = parse(text) as { groups?: unknown } | null;
  const groups = doc?.groups;
  if (!Array.isArray(groups) || groups.length === 0) throw new Error(`${source}: groups: must be a non-empty list`);
  return groups.map((g: unknown, i) => {
    const group = g as Partial<RuleGroup> | null;
    if (typeof group?.name !== 'string' || group.name === '')
      throw new Error(`${source}: groups[${i}].name: must be a non-empty string`);
    if (!Array.isArray(group.rules) || group.rules.length === 0)
      throw new Error(`${source}: groups[${i}].rules: must be a non-empty list`);
    return { name: group.name, rules: group.rules };
  });
}

export function prometheusRule(groups: readonly RuleGroup[]): Record<string, unknown> {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: MONITORING_NAME,
      namespace: MONITORING_NAME,
      // A Prometheus selects rules by label (its ruleSelector): add the one yours selects.
      labels: { 'app.kubernetes.io/name': HANDLER_NAME },
    },
    spec: { groups },
  };
}

export const PROMETHEUS_RULE_HEADER = `# Generated from ${RULES_FILE} by \`npm run gen:monitoring\`; do not edit.\n`;

/** prometheusrule.yaml's text from rules.yaml's. */
export function prometheusRuleYaml(rulesText: string): string {
  return (
    PROMETHEUS_RULE_HEADER +
    stringify(prometheusRule(parseRuleGroups(rulesText, RULES_FILE)), { lineWidth: 0, indentSeq: false })
  );
}

// `npm run gen:monitoring`: writes deploy/monitoring/prometheusrule.yaml from rules.yaml (a unit
// test checks it is current).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../util/fs.js';
import { PROMETHEUS_RULE_FILE, prometheusRuleYaml, RULES_FILE } from './rules.js';

/** From dist/src/monitoring (compiled) to the repository root. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const out = join(ROOT, PROMETHEUS_RULE_FILE);
await writeFileAtomic(out, prometheusRuleYaml(await readFile(join(ROOT, RULES_FILE), 'utf8')));
process.stdout.write(`wrote ${out}\n`);

// docs/results/powerloss.json from a reliability run's reliability.json (issue 28's format): the
// seed, commit and command, the power-cut trials with `landed` and `survived`, the counts per
// class computed here; prints the paragraph docs/benchmarks.md quotes.
//   node dist/reliability/powerloss-result.js IN/reliability.json docs/results/powerloss.json
import { readFile, writeFile } from 'node:fs/promises';

const [input, output] = process.argv.slice(2);
if (!input || !output) throw new Error('usage: powerloss-result IN/reliability.json OUT/powerloss.json');
const r = JSON.parse(await readFile(input, 'utf8')) as Record<string, unknown> & {
  trials?: { experiment: string; landed: string; survived: boolean; harnessError?: string }[];
};
const trials = (r.trials ?? []).filter((t) => t.experiment === 'power cut');
const counts: Record<string, { tried: number; survived: number; lost: number }> = {};
for (const t of trials) {
  const c = (counts[t.landed] ??= { tried: 0, survived: 0, lost: 0 });
  c.tried++;
  if (t.survived) c.survived++;
  else if (!t.harnessError) c.lost++;
}
const notExercised = trials.filter((t) => t.harnessError).length;
const out = {
  seed: r.seed,
  commit: r.commit,
  command: String(r.command),
  partial: r.partial === true,
  finishedAt: r.finishedAt,
  counts,
  notExercised,
  trials,
};
await writeFile(output, JSON.stringify(out, null, 2) + '\n');
const d = counts.during ?? { tried: 0, survived: 0, lost: 0 };
const others = Object.entries(counts)
  .filter(([k]) => k !== 'during')
  .map(([k, c]) => `${k} ${c.tried}`)
  .join(', ');
process.stdout.write(
  `${trials.length} power cuts (\`${out.command}\`, seed ${String(out.seed)}, commit ${String(out.commit)}): ` +
    `${d.tried} landed during the transaction, ${d.survived} survived, ${d.lost} lost; ` +
    `other landings: ${others || 'none'}; not exercised ${notExercised}${out.partial ? ' (partial run)' : ''}.\n`,
);

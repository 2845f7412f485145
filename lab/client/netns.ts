// Scratch network namespaces on this machine, owned by a benchmark or an experiment: created with
// a name of its own, removed by that name.
import { randomBytes } from 'node:crypto';
import { run } from '../../src/util/exec.js';

export function benchNamespaceName(what: string): string {
  return `ovnh-t-${what}-${randomBytes(3).toString('hex')}`;
}

/** A link group of the benchmarks' own (namespaces of their own: nothing else in them). */
const CLEANUP_GROUP = 99;

/**
 * Deletes every link but lo first: a namespace deleted with 1000 bridges in it holds the RTNL
 * lock for seconds in the background. As one group (one unregister batch: half the time of a
 * `link del` each for bridges), then one by one whatever that left (a device without dellink).
 */
export async function emptyNamespace(ns: string, prefix = 'ip'): Promise<void> {
  const links = await run([prefix === 'ip' ? 'ip' : prefix, '-n', ns, '-json', 'link', 'show'], { allowFailure: true });
  if (links.code !== 0) return;
  const names = (JSON.parse(links.stdout || '[]') as { ifname: string }[])
    .map((l) => l.ifname)
    .filter((n) => n !== 'lo');
  if (!names.length) return;
  const grouped = [...names.map((n) => `link set dev ${n} group ${CLEANUP_GROUP}`), `link del group ${CLEANUP_GROUP}`];
  // Some lines fail (a veth's peer already went with its twin, a VLAN with its bond): -force goes on.
  const r = await run(['ip', '-n', ns, '-force', '-batch', '-'], {
    input: grouped.join('\n') + '\n',
    allowFailure: true,
  });
  if (r.code !== 0)
    await run(['ip', '-n', ns, '-force', '-batch', '-'], {
      input: names.map((n) => `link del dev ${n}`).join('\n') + '\n',
      allowFailure: true,
    });
}

export async function freshNamespace(ns: string): Promise<void> {
  await deleteNamespace(ns);
  await run(['ip', 'netns', 'add', ns]);
  await run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
}

export async function deleteNamespace(ns: string): Promise<void> {
  await emptyNamespace(ns);
  await run(['ip', 'netns', 'del', ns], { allowFailure: true });
}

/** Removes the namespaces on Ctrl-C / SIGTERM; returns a function that unregisters. */
export function cleanupOnSignal(namespaces: () => readonly string[]): () => void {
  const handler = () => {
    void Promise.all(namespaces().map((ns) => run(['ip', 'netns', 'del', ns], { allowFailure: true }))).finally(() =>
      process.exit(130),
    );
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

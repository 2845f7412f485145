// Network namespaces owned by a benchmark: created with a name of its own, removed by that name.
import { randomBytes } from 'node:crypto';
import { run } from '../../src/util/exec.js';

export function benchNamespaceName(what: string): string {
  return `ovnh-t-${what}-${randomBytes(3).toString('hex')}`;
}

/** Deletes links of the given type first: a namespace deleted with 1000 bridges in it holds the RTNL lock for seconds in the background. */
export async function emptyNamespace(ns: string, prefix = 'ip'): Promise<void> {
  const links = await run([prefix === 'ip' ? 'ip' : prefix, '-n', ns, '-json', 'link', 'show'], { allowFailure: true });
  if (links.code !== 0) return;
  const names = (JSON.parse(links.stdout || '[]') as { ifname: string; link_type?: string }[])
    .map((l) => l.ifname)
    .filter((n) => n !== 'lo')
    .map((n) => `link del dev ${n}`);
  // Some deletions fail (a veth's peer already went with its twin, a VLAN with its bond): -force goes on.
  if (names.length) await run(['ip', '-n', ns, '-force', '-batch', '-'], { input: names.join('\n') + '\n', allowFailure: true });
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
    void Promise.all(namespaces().map((ns) => run(['ip', 'netns', 'del', ns], { allowFailure: true }))).finally(() => process.exit(130));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

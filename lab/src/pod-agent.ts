// The product's pods on a kubelet node, seen from this machine: the DaemonSet's agent and the
// policy controller (host network in the lab), each the container's main process, found by
// command line in the node's network namespace, for the experiments that kill it, measure it or
// wait for the kubelet to restart it.
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { netnsOf } from './config.js';
import { parseProcStat } from '../../src/util/proc.js';

/** The image's entry point (image/build.sh) and the verb: what each container's main process runs. */
const ENTRY = '/opt/ovirt-node-network-handler/bin/ovirt-node-network-handler.js\0';
export type PodVerb = 'run' | 'controller';

async function netnsInode(node: string): Promise<string | undefined> {
  return stat(`/run/netns/${netnsOf(node)}`).then(
    (s) => `net:[${s.ino}]`,
    () => undefined,
  );
}

/** PID (as this machine sees it) of the agent container's main process on a kubelet node. */
export function podAgentPid(node: string): Promise<number | undefined> {
  return podProcessPid(node, 'run');
}

/**
 * PID of the main process of the container running `verb` on a kubelet node. Where several
 * match — a pod deleted with --force or restarted leaves its old container's process for a
 * while beside the new one — the one started last is the running container's: freezing or
 * killing the old one would test nothing.
 */
export async function podProcessPid(node: string, verb: PodVerb): Promise<number | undefined> {
  const ns = await netnsInode(node);
  if (!ns) return undefined;
  let newest: { pid: number; start: number } | undefined;
  for (const e of await readdir('/proc')) {
    const pid = Number(e);
    if (!pid) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'latin1').catch(() => '');
    if (!cmdline.includes(`${ENTRY}${verb}`)) continue;
    if ((await readlink(`/proc/${pid}/ns/net`).catch(() => '')) !== ns) continue;
    const start = startTime(await readFile(`/proc/${pid}/stat`, 'latin1').catch(() => ''));
    if (start !== undefined && (!newest || start > newest.start)) newest = { pid, start };
  }
  return newest?.pid;
}

/** A process's start time (clock ticks since boot) from /proc/PID/stat; undefined for a zombie or one gone. */
export function startTime(stat: string): number | undefined {
  const s = parseProcStat(stat);
  return s && s.state !== 'Z' && s.state !== 'X' ? s.startTime : undefined;
}

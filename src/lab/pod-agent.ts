// The DaemonSet's agent on a kubelet node, seen from this machine: its process (the container's
// main process, found by command line in the node's network namespace), for the experiments that
// kill it, measure it or wait for the kubelet to restart it.
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { netnsOf } from './config.js';

/** The image's entry point (image/build.sh): what the container's main process runs. */
const AGENT_ENTRY = '/opt/ovirt-node-network-handler/bin/ovirt-node-network-handler.js\0run';

async function netnsInode(node: string): Promise<string | undefined> {
  return stat(`/run/netns/${netnsOf(node)}`).then((s) => `net:[${s.ino}]`, () => undefined);
}

/** PID (as this machine sees it) of the agent container's main process on a kubelet node. */
export async function podAgentPid(node: string): Promise<number | undefined> {
  const ns = await netnsInode(node);
  if (!ns) return undefined;
  for (const e of await readdir('/proc')) {
    const pid = Number(e);
    if (!pid) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'latin1').catch(() => '');
    if (!cmdline.includes(AGENT_ENTRY)) continue;
    if ((await readlink(`/proc/${pid}/ns/net`).catch(() => '')) === ns) return pid;
  }
  return undefined;
}

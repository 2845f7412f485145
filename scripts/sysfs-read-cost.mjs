// The sysfs/procfs part of a host read, in this process (src/observe/sysfs.ts readSysLocal)
// against the shell script that does the same in a namespace, for each kind of read, on the
// host or namespace it runs in (median of 7). After a build, e.g. in a namespace of 1000 veth
// interfaces (500 pairs):
//   ip netns add t; for i in $(seq 0 499); do echo "link add va$i type veth peer name vb$i"; done | ip -n t -batch -
//   ip netns exec t node_modules/node/bin/node scripts/sysfs-read-cost.mjs; ip netns del t
import { FULL_READ, readSysLocal, sysfsScript, TARGETED_READ, TRANSACTION_READ } from '../dist/src/observe/sysfs.js';
import { run } from '../dist/src/util/exec.js';

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const reads = [['full (first pass)', FULL_READ, []], ['transaction', TRANSACTION_READ, []], ['targeted (a later pass, nothing owned)', TARGETED_READ, ['/proc/sys/net/ipv6/conf/default/autoconf']]];
for (const [name, read, listed] of reads) {
  const here = [];
  const script = [];
  for (let i = 0; i < 7; i++) {
    let t0 = performance.now();
    readSysLocal(read, listed, '/etc/resolv.conf');
    here.push(performance.now() - t0);
    t0 = performance.now();
    await run(['sh', '-c', sysfsScript(read), 'sh', '/etc/resolv.conf'], { input: listed.map((p) => `${p}\n`).join('') });
    script.push(performance.now() - t0);
  }
  process.stdout.write(`${name}: in process ${median(here).toFixed(1)} ms, script ${median(script).toFixed(1)} ms\n`);
}

// The pure parts of the lab's real nodes: cgroup hierarchies from mountinfo, the mount-namespace
// holder's script, the kubelet's and containerd's configuration, the egress proxy's target rule,
// and the image index naming containerd imports by.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { anchorScript, cgroupMounts, containerdConfig, kubeletConfig, missingCgroupControllers, nodeBinds, runtimePaths } from '../../lab/src/node-runtime.js';
import { connectTarget } from '../../lab/src/egress-proxy.js';
import { annotateIndex } from '../../lab/src/images.js';

// This machine's layout: cgroup v1 controllers on a tmpfs, the v2 tree at unified.
const HYBRID = `22 1 0:21 / /sys rw,nosuid - sysfs sysfs rw
31 22 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
37 31 0:34 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
38 31 0:35 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
39 1 0:36 /inner /mnt/x rw - cgroup cgroup rw,devices
`;

test('cgroup hierarchies are read from mountinfo (bind mounts of a subtree are not hierarchies)', () => {
  const c = cgroupMounts(HYBRID);
  assert.deepEqual(c.map((m) => `${m.fstype} ${m.path} ${m.options}`), [
    'cgroup /sys/fs/cgroup/cpu rw,cpu', 'cgroup /sys/fs/cgroup/cpuacct rw,cpuacct', 'cgroup /sys/fs/cgroup/cpuset rw,cpuset',
    'cgroup /sys/fs/cgroup/memory rw,memory', 'cgroup /sys/fs/cgroup/pids rw,pids', 'cgroup /sys/fs/cgroup/systemd rw,name=systemd',
    'cgroup2 /sys/fs/cgroup/unified rw',
  ]);
  assert.deepEqual(missingCgroupControllers(c), []);
  assert.deepEqual(missingCgroupControllers(c.filter((m) => !m.options.includes('memory'))), ['memory']);
  assert.deepEqual(missingCgroupControllers(cgroupMounts('40 22 0:40 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n')), [], 'a cgroup v2 host');
});

test('the holder script mounts the hierarchies back under the netns /sys, binds the node\'s paths with /run last, then becomes pause', () => {
  const p = runtimePaths('/var/lib/ovnh-lab', 'ns-node-1');
  const s = anchorScript(cgroupMounts(HYBRID), nodeBinds(p), p.anchor).split('\n');
  assert.equal(s[3], 'mount -t tmpfs -o mode=755 cgroup_root /sys/fs/cgroup');
  assert.ok(s.includes("mount -t cgroup -o 'cpu' cgroup '/sys/fs/cgroup/cpu'"));
  assert.ok(s.includes("mount -t cgroup -o 'none,name=systemd' cgroup '/sys/fs/cgroup/systemd'"), 'a named hierarchy mounts with none');
  assert.ok(s.includes("mount -t cgroup2 cgroup2 '/sys/fs/cgroup/unified'"));
  const binds = s.filter((l) => l.startsWith('mount --bind'));
  assert.deepEqual(binds.map((l) => l.split(' ').pop()), ["'/var/lib/ovirt-node-network-handler'", "'/etc/resolv.conf'", "'/lib/modules'", "'/run'"]);
  assert.equal(s.at(-2), "exec '/var/lib/ovnh-lab/nodes/ns-node-1/anchor'");
  const v2 = anchorScript(cgroupMounts('40 22 0:40 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n'), [], '/a');
  assert.match(v2, /^mount -t cgroup2 cgroup2 \/sys\/fs\/cgroup$/m);
});

test('kubelet and containerd: per-node cgroup root, socket inside the node\'s /run, no pulls of the sandbox image', () => {
  const p = runtimePaths('/var/lib/ovnh-lab', 'ns-node-2');
  const k = parse(kubeletConfig(p, '10.88.0.12', '/ovnh-ns-node-2')) as Record<string, unknown>;
  assert.equal(k.cgroupRoot, '/ovnh-ns-node-2');
  assert.equal(k.cgroupDriver, 'cgroupfs');
  assert.equal(k.address, '10.88.0.12');
  assert.equal(k.containerRuntimeEndpoint, 'unix:///run/containerd/containerd.sock');
  assert.deepEqual(k.authentication, { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: '/var/lib/ovnh-lab/nodes/ns-node-2/pki/ca.crt' } });
  const c = containerdConfig(p);
  assert.match(c, /^root = "\/var\/lib\/ovnh-lab\/nodes\/ns-node-2\/containerd"$/m);
  assert.match(c, /sandbox_image = "registry\.k8s\.io\/pause:3\.10"/);
  assert.match(c, /restrict_oom_score_adj = true/);
});

test('the egress proxy dials only the management segment', () => {
  assert.deepEqual(connectTarget('CONNECT 10.88.0.11:10250 HTTP/1.1\r\nHost: x\r\n\r\n', '10.88.0.'), { host: '10.88.0.11', port: 10250 });
  assert.match((connectTarget('CONNECT 127.0.0.1:16443 HTTP/1.1\r\n\r\n', '10.88.0.') as { error: string }).error, /not on the lab's management segment/);
  assert.match((connectTarget('CONNECT ns-node-1:10250 HTTP/1.1\r\n\r\n', '10.88.0.') as { error: string }).error, /only CONNECT/);
  assert.match((connectTarget('GET / HTTP/1.1\r\n\r\n', '10.88.0.') as { error: string }).error, /only CONNECT/);
});

test('an OCI index is named for containerd\'s import', () => {
  const ix = JSON.parse(annotateIndex(JSON.stringify({ schemaVersion: 2, manifests: [{ digest: 'sha256:x', annotations: { 'org.opencontainers.image.ref.name': '3.10' } }] }), 'registry.k8s.io/pause:3.10')) as { manifests: { annotations: Record<string, string> }[] };
  assert.deepEqual(ix.manifests[0]!.annotations, { 'org.opencontainers.image.ref.name': '3.10', 'io.containerd.image.name': 'registry.k8s.io/pause:3.10' });
});

// Scenarios the observer tests build on real kernels, shared by the integration tests and the
// fixture capture (test/fixtures/observe/capture.ts). Each takes a short unique id so that
// device and namespace names never collide with the lab's or another test's, and comes with
// the running config a handler would hold for what it creates.
import type { RunningConfig } from '../../src/api/config.js';

export function randomId(): string {
  return Math.random().toString(36).slice(2, 6);
}

// ---------------------------------------------------------------------------------------------
// VM scenario (Debian kernel: bonding, 802.1q, dummy). A mode-4 bond over two veths whose peers
// form a partner 802.3ad bond in a namespace of the VM, a VLAN on it, a bridge on the VLAN
// getting DHCPv4 + DHCPv6 from a dnsmasq behind the partner bond; an active-backup bond over two
// dummies with MTU 9000, a VLAN on it carrying a bridgeless static IPv4/IPv6 network whose
// gateways sit in a source-routing table; a nicless bridge with STP on and IPv6 autoconf.
// ---------------------------------------------------------------------------------------------

export interface VmScenario {
  id: string;
  partnerNs: string;
  runDir: string;
  bond4: string;
  bond4Slaves: [string, string];
  partnerBond: string;
  bondAb: string;
  bondAbSlaves: [string, string];
  dhcpNet: string;
  staticNet: string;
  niclessNet: string;
  running: RunningConfig;
  /** Creates the devices (no DHCP yet). */
  setup: string;
  /** Starts dnsmasq in the partner namespace and leases v4 and v6 on the DHCP bridge with dhcpcd. */
  dhcp: string;
  /** Removes everything setup and dhcp created; safe to run twice. */
  teardown: string;
}

export function vmScenario(id: string): VmScenario {
  const P = `ovnh-t-obs-${id}`;
  const R = `/run/${P}`;
  const b4 = `b4${id}`, v4a = `v4a${id}`, v4b = `v4b${id}`, p4a = `p4a${id}`, p4b = `p4b${id}`, pb = `pb${id}`;
  const ba = `ba${id}`, da1 = `da1${id}`, da2 = `da2${id}`;
  const nd = `nd${id}`, ns = `ns${id}`, nn = `nn${id}`;
  const legacy = 'legacy' as const;
  const running: RunningConfig = {
    networks: {
      [nd]: { bonding: b4, vlan: 100, bridged: true, stp: false, mtu: 1500, bootproto: 'dhcp', defaultRoute: true, dhcpv6: true, ipv6autoconf: false, nameservers: [], switch: legacy },
      [ns]: {
        bonding: ba, vlan: 200, bridged: false, stp: false, mtu: 9000, bootproto: 'none', ipaddr: '10.78.0.2', netmask: '255.255.255.0',
        gateway: '10.78.0.1', defaultRoute: false, ipv6addr: 'fd00:78::2/64', ipv6gateway: 'fd00:78::1', dhcpv6: false, ipv6autoconf: false,
        nameservers: [], switch: legacy,
      },
      [nn]: { bridged: true, stp: true, mtu: 1500, bootproto: 'none', defaultRoute: false, dhcpv6: false, ipv6autoconf: true, nameservers: [], switch: legacy },
    },
    bondings: {
      [b4]: { nics: [v4a, v4b], options: 'lacp_rate=1 miimon=100 mode=4', switch: legacy },
      [ba]: { nics: [da1, da2], options: 'miimon=100 mode=1', switch: legacy },
    },
  };
  // dhcpcd's lease and run folders are compiled in; a private mount namespace with tmpfs over
  // them (and over /run, so not even an empty folder is left) keeps the VM's own files
  // untouched. -1: exit once configured; -p: keep the lease on exit.
  const dhcpcd = (fam: string, extra = '') =>
    `unshare -m sh -c 'mount -t tmpfs none /var/lib/dhcpcd && mount -t tmpfs none /run && mkdir /run/dhcpcd && ` +
    `exec dhcpcd -B -1 -p ${fam} --noarp -C resolv.conf ${extra} -f /dev/null -t 60 ${nd}'`;
  return {
    id, partnerNs: P, runDir: R, bond4: b4, bond4Slaves: [v4a, v4b], partnerBond: pb, bondAb: ba, bondAbSlaves: [da1, da2],
    dhcpNet: nd, staticNet: ns, niclessNet: nn, running,
    setup: `set -e
mkdir -p ${R}
ip netns add ${P}
ip -n ${P} link set lo up
ip link add ${v4a} type veth peer name ${p4a} netns ${P}
ip link add ${v4b} type veth peer name ${p4b} netns ${P}
ip -n ${P} link add ${pb} type bond mode 802.3ad lacp_rate fast
ip -n ${P} link set ${p4a} master ${pb}
ip -n ${P} link set ${p4b} master ${pb}
ip -n ${P} link set ${pb} up
ip -n ${P} link add link ${pb} name ${pb}.100 type vlan id 100
ip -n ${P} link set ${pb}.100 up
ip -n ${P} addr add 10.77.0.1/24 dev ${pb}.100
ip -n ${P} addr add fd00:77::1/64 dev ${pb}.100 nodad
ip link add ${b4} type bond mode 802.3ad lacp_rate fast
ip link set ${v4a} master ${b4}
ip link set ${v4b} master ${b4}
ip link set ${b4} up
ip link add link ${b4} name ${b4}.100 type vlan id 100
ip link add ${nd} type bridge stp_state 0 forward_delay 0
sysctl -qw net.ipv6.conf.${nd}.accept_ra=0 net.ipv6.conf.${nd}.autoconf=0
ip link set ${b4}.100 master ${nd}
ip link set ${b4}.100 up
ip link set ${nd} up
ip link add ${da1} type dummy
ip link add ${da2} type dummy
ip link add ${ba} type bond mode active-backup miimon 100
ip link set ${da1} master ${ba}
ip link set ${da2} master ${ba}
ip link set ${ba} mtu 9000 up
ip link add link ${ba} name ${ba}.200 type vlan id 200
echo 0 > /proc/sys/net/ipv6/conf/${ba}.200/accept_ra
echo 0 > /proc/sys/net/ipv6/conf/${ba}.200/autoconf
ip link set ${ba}.200 mtu 9000 up
ip addr add 10.78.0.2/24 dev ${ba}.200
ip addr add fd00:78::2/64 dev ${ba}.200 nodad
ip route add default via 10.78.0.1 dev ${ba}.200 table 4242
ip -6 route add default via fd00:78::1 dev ${ba}.200 table 4242
ip link add ${nn} type bridge stp_state 1
sysctl -qw net.ipv6.conf.${nn}.accept_ra=2 net.ipv6.conf.${nn}.autoconf=1
ip link set ${nn} up
`,
    dhcp: `set -e
ip netns exec ${P} dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --user=root --port=0 --bind-interfaces \\
  --interface=${pb}.100 --except-interface=lo --dhcp-authoritative --no-ping --enable-ra \\
  --dhcp-range=10.77.0.100,10.77.0.199,255.255.255.0,1h --dhcp-range=fd00:77::100,fd00:77::1ff,64,1h \\
  --dhcp-option=option:router,10.77.0.1 --dhcp-leasefile=${R}/leases --pid-file=${R}/dnsmasq.pid --log-facility=${R}/dnsmasq.log
${dhcpcd('-4', '-C mtu')}
${dhcpcd('-6')}
`,
    teardown: `
[ -f ${R}/dnsmasq.pid ] && kill $(cat ${R}/dnsmasq.pid) 2>/dev/null
ip netns del ${P} 2>/dev/null
for d in ${nd} ${b4} ${ba} ${da1} ${da2} ${nn} ${v4a} ${v4b}; do ip link del $d 2>/dev/null; done
rm -rf ${R}
true
`,
  };
}

// ---------------------------------------------------------------------------------------------
// Namespace scenario (this machine's kernel: bridge, veth, macvlan). An observed namespace N
// and a peer namespace Q joined by veth pairs:
//   e1 (N) -- q1 (Q): e1 is the port of bridge net1, a static default-route network with IPv4
//                      and IPv6 gateways in Q, and resolvers in /etc/netns/N/resolv.conf;
//   e2 (N) -- q2 (Q): bridgeless static network net2 on the nic e2, IPv6 autoconf off;
//                      a macvlan mv0 on e2 with its own address;
//   e3 (N) -- q3 (Q): port of bridge br1, not a handler network.
// ---------------------------------------------------------------------------------------------

export interface NetnsScenario {
  ns: string;
  peerNs: string;
  resolvDir: string;
  running: RunningConfig;
  setup: string;
  teardown: string;
}

export function netnsScenario(id: string): NetnsScenario {
  const N = `ovnh-t-obs-${id}`;
  const Q = `ovnh-t-obp-${id}`;
  const resolvDir = `/etc/netns/${N}`;
  const legacy = 'legacy' as const;
  const running: RunningConfig = {
    networks: {
      net1: {
        nic: 'e1', bridged: true, stp: false, mtu: 1500, bootproto: 'none', ipaddr: '10.66.0.2', netmask: '255.255.255.0', gateway: '10.66.0.1',
        defaultRoute: true, ipv6addr: 'fd00:66::2/64', ipv6gateway: 'fd00:66::1', dhcpv6: false, ipv6autoconf: false,
        nameservers: ['10.66.0.53', 'fd00:66::53'], switch: legacy,
      },
      net2: {
        nic: 'e2', bridged: false, stp: false, mtu: 1400, bootproto: 'none', ipaddr: '10.67.0.2', netmask: '255.255.255.128',
        defaultRoute: false, dhcpv6: false, ipv6autoconf: false, nameservers: [], switch: legacy,
      },
    },
    bondings: {},
  };
  return {
    ns: N, peerNs: Q, resolvDir, running,
    setup: `set -e
mkdir -p ${resolvDir}
printf 'search lab.invalid\\nnameserver 10.66.0.53\\nnameserver fd00:66::53\\n' > ${resolvDir}/resolv.conf
ip netns add ${N}
ip netns add ${Q}
ip -n ${N} link set lo up
ip -n ${Q} link set lo up
ip -n ${N} link add e1 type veth peer name q1 netns ${Q}
ip -n ${N} link add e2 type veth peer name q2 netns ${Q}
ip -n ${N} link add e3 type veth peer name q3 netns ${Q}
ip -n ${N} link add net1 type bridge stp_state 0 forward_delay 0
ip -n ${N} link set e1 master net1
ip netns exec ${N} sysctl -qw net.ipv6.conf.net1.accept_ra=0 net.ipv6.conf.net1.autoconf=0
ip -n ${N} link set e1 up
ip -n ${N} link set net1 up
ip -n ${N} addr add 10.66.0.2/24 dev net1
ip -n ${N} addr add fd00:66::2/64 dev net1 nodad
ip -n ${N} route add default via 10.66.0.1 dev net1
ip -n ${N} -6 route add default via fd00:66::1 dev net1
ip netns exec ${N} sysctl -qw net.ipv6.conf.e2.accept_ra=0 net.ipv6.conf.e2.autoconf=0
ip -n ${N} link set e2 mtu 1400 up
ip -n ${N} addr add 10.67.0.2/25 dev e2
ip -n ${N} link add link e2 name mv0 type macvlan mode bridge
ip -n ${N} link set mv0 up
ip -n ${N} addr add 10.67.0.3/25 dev mv0
ip -n ${N} link add br1 type bridge stp_state 1
ip -n ${N} link set e3 master br1
ip -n ${N} link set e3 up
ip -n ${N} link set br1 up
ip -n ${Q} link set q1 up
ip -n ${Q} link set q2 mtu 1400 up
ip -n ${Q} link set q3 up
ip -n ${Q} addr add 10.66.0.1/24 dev q1
ip -n ${Q} addr add fd00:66::1/64 dev q1 nodad
ip -n ${Q} addr add 10.67.0.1/25 dev q2
`,
    teardown: `
ip netns del ${N} 2>/dev/null
ip netns del ${Q} 2>/dev/null
rm -rf ${resolvDir}
true
`,
  };
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BOND_DEFAULTS, BOND_MODE_NAMES, BOND_OPTIONS, bondDefault, bondIpArgs, bondOption, bondOptionChange, bondOptionsFromSysfs, bondSysfsOnly,
  formatBondOptions, IFDOWN_OPTIONS, NO_SLAVES_OPTIONS, nonDefaultBondOptions, numericBondValue, optionValue, parseBondOptions, supportedIn,
} from '../../src/model/bond-options.js';
import { bondOptionsForConfig } from '../../src/observe/kernel-config.js';
import { sameOptionValue } from '../../src/util/kv.js';

const normalizeBondOptions = (o: string): string => formatBondOptions(nonDefaultBondOptions(parseBondOptions(o)));

test('non-default form: numeric values, non-default only, mode always present, sorted', () => {
  assert.equal(normalizeBondOptions('mode=802.3ad lacp_rate=fast xmit_hash_policy=layer3+4'), 'lacp_rate=1 mode=4 xmit_hash_policy=1');
  assert.equal(normalizeBondOptions('mode=4 miimon=100'), 'mode=4'); // the kernel turns miimon on at 100 for 802.3ad
  assert.equal(normalizeBondOptions('mode=1 miimon=100'), 'miimon=100 mode=1');
  assert.equal(normalizeBondOptions('miimon=150 mode=active-backup'), 'miimon=150 mode=1');
  assert.equal(normalizeBondOptions(''), 'mode=0');
  assert.equal(normalizeBondOptions('mode=0 miimon=0 updelay=0'), 'mode=0');
  assert.equal(normalizeBondOptions('mode=balance-alb miimon=0'), 'miimon=0 mode=6');
  assert.equal(normalizeBondOptions('mode=1 arp_interval=1000 arp_ip_target=192.0.2.1,192.0.2.2'), 'arp_interval=1000 arp_ip_target=192.0.2.1,192.0.2.2 mode=1');
  assert.equal(normalizeBondOptions('mode=1 num_unsol_na=3'), 'mode=1 num_grat_arp=3');
  assert.throws(() => normalizeBondOptions('mode'), /key=value/);
});

test('sysfs options: "name number" values, state files ignored, aliases counted once', () => {
  const raw = {
    mode: '802.3ad 4', miimon: '100', lacp_rate: 'fast 1', xmit_hash_policy: 'layer2+3 2', ad_select: 'stable 0',
    slaves: 'a b', mii_status: 'up', ad_aggregator: '1', ad_partner_mac: '00:11:22:33:44:55', queue_id: 'a:0 b:0',
    num_grat_arp: '1', num_unsol_na: '1', arp_ip_target: '192.0.2.1 192.0.2.2', tlb_dynamic_lb: '1',
  };
  assert.deepEqual(bondOptionsFromSysfs(raw), { mode: '4', lacp_rate: '1', xmit_hash_policy: '2', arp_ip_target: '192.0.2.1,192.0.2.2' });
  assert.deepEqual(bondOptionsFromSysfs({}), { mode: '0' });
});

test('defaults table: all seven modes, miimon 100 for 802.3ad/tlb/alb', () => {
  assert.deepEqual(Object.keys(BOND_DEFAULTS), ['0', '1', '2', '3', '4', '5', '6']);
  assert.deepEqual(Object.values(BOND_DEFAULTS).map((d) => d.miimon), ['0', '0', '0', '0', '100', '100', '100']);
  assert.equal(BOND_DEFAULTS['4']!.mode, '4');
});

test('numericBondValue and parseBondOptions', () => {
  assert.equal(numericBondValue('mode', 'balance-xor'), '2');
  assert.equal(numericBondValue('mode', '2'), '2');
  assert.equal(numericBondValue('arp_validate', 'filter_backup 6'), '6');
  assert.equal(numericBondValue('miimon', ' 100 '), '100');
  assert.deepEqual(parseBondOptions('  mode=4   miimon=100 '), { mode: '4', miimon: '100' });
});

// A fresh 802.3ad bond with lacp_rate fast, as sysfs shows it (Debian 6.1).
const MODE4 = {
  mode: '802.3ad 4', miimon: '100', lacp_rate: 'fast 1', xmit_hash_policy: 'layer2 0', ad_select: 'stable 0', updelay: '0',
  ad_actor_system: '00:00:00:00:00:00', num_grat_arp: '1', num_unsol_na: '1', use_carrier: '1', slaves: 'a b',
};

test('kernelConfig options: non-default plus every option the config names, as the kernel has it', () => {
  assert.equal(bondOptionsForConfig(MODE4, 'lacp_rate=1 miimon=100 mode=4'), 'lacp_rate=1 miimon=100 mode=4');
  assert.equal(bondOptionsForConfig(MODE4, 'lacp_rate=1 mode=4'), 'lacp_rate=1 mode=4');
  assert.equal(bondOptionsForConfig(MODE4, 'mode=4'), 'lacp_rate=1 mode=4'); // lacp_rate=1 was not asked for: drift
  assert.equal(bondOptionsForConfig(MODE4, 'lacp_rate=1 miimon=200 mode=4'), 'lacp_rate=1 miimon=100 mode=4');
  assert.equal(bondOptionsForConfig(MODE4, 'lacp_rate=1 mode=4 num_unsol_na=1 updelay=00'), 'lacp_rate=1 mode=4 num_grat_arp=1 updelay=00');
  assert.equal(bondOptionsForConfig(MODE4, 'ad_actor_system=00:00:00:00:00:00 lacp_rate=1 mode=4'), 'ad_actor_system=00:00:00:00:00:00 lacp_rate=1 mode=4');
  assert.equal(bondOptionsForConfig(MODE4, 'lacp_rate=1 mode=4 primary=a'), 'lacp_rate=1 mode=4'); // unset in the kernel: left out
  assert.equal(bondOptionsForConfig({ mode: 'active-backup 1', miimon: '0' }, 'miimon=0 mode=1'), 'miimon=0 mode=1');
  assert.equal(bondOptionsForConfig({ mode: 'active-backup 1', miimon: '0' }, 'miimon=0 mode=0'), 'miimon=0 mode=1');
  assert.equal(bondOptionsForConfig({}, ''), 'mode=0');
});

test('sameOptionValue: spellings of one value', () => {
  assert.ok(sameOptionValue('0x0', '0'));
  assert.ok(sameOptionValue('0100', '100'));
  assert.ok(sameOptionValue('02:AA:00:00:00:01', '02:aa:00:00:00:01'));
  assert.ok(!sameOptionValue('', '0'));
  assert.ok(!sameOptionValue('layer2', 'layer3'));
  assert.ok(!sameOptionValue('1', '2'));
});

test('table: every default is a valid value of its option, in the canonical form', () => {
  for (const o of BOND_OPTIONS) {
    BOND_MODE_NAMES.forEach((_, m) => {
      const d = o.modeDefaults[m] ?? o.default;
      assert.equal(bondDefault(String(m), o.name), o.name === 'mode' ? String(m) : d);
      if (d === '' && (o.kind.type === 'ipv4list' || o.kind.type === 'ifname')) return; // unset
      assert.deepEqual(optionValue(o.name, d), { value: d }, `${o.name} in mode ${m}`);
    });
    for (const m of o.modes ?? []) assert.ok(m >= 0 && m < BOND_MODE_NAMES.length, `${o.name}: mode ${m}`);
    for (const a of o.aliases) assert.equal(bondOption(a), o);
  }
});

test('coupled_control (6.9+): at its default it is not reported, off it is', () => {
  const sysfs = { mode: '802.3ad 4', miimon: '100', coupled_control: '1' };
  assert.deepEqual(bondOptionsFromSysfs(sysfs), { mode: '4' });
  assert.deepEqual(bondOptionsFromSysfs({ ...sysfs, coupled_control: '0' }), { mode: '4', coupled_control: '0' });
  assert.equal(numericBondValue('coupled_control', 'off'), '0');
  assert.equal(numericBondValue('use_carrier', 'on'), '1');
});

test('ip arguments: mode first, ip names, the rest through sysfs', () => {
  const opts = { peer_notif_delay: '200', coupled_control: '0', mode: '4', lacp_rate: '1', primary: '', foo: '1' };
  assert.deepEqual(bondIpArgs(opts), ['mode', '4', 'lacp_rate', '1', 'peer_notify_delay', '200']);
  assert.deepEqual(bondSysfsOnly(opts), [['coupled_control', '0'], ['primary', ''], ['foo', '1']]);
  assert.deepEqual(bondIpArgs({ mode: '1', primary: 'eth1' }), ['mode', '1', 'primary', 'eth1']);
});

test('supportedIn: the row\'s modes; unknown options unrestricted', () => {
  assert.ok(supportedIn('lacp_rate', '4') && !supportedIn('lacp_rate', '1'));
  assert.ok(supportedIn('num_unsol_na', '1') && !supportedIn('num_unsol_na', '0'));
  assert.ok(supportedIn('miimon', '6') && supportedIn('foo', '3'));
});

test('bondOptionChange: options the new mode refuses reset first; miimon follows the mode default', () => {
  const down = bondOptionChange({ mode: '4', lacp_rate: '1' }, { mode: '1' });
  assert.deepEqual(down.pre, { set: { lacp_rate: '0' }, old: { lacp_rate: '1' } });
  assert.deepEqual(down.main, { set: { mode: '1', miimon: '0' }, old: { mode: '4', miimon: '100' } }); // the config dropped miimon: mode 1's default
  assert.ok(down.needsDown && down.needsRelease);
  const up = bondOptionChange({ mode: '1' }, { mode: '4', lacp_rate: '1' });
  assert.deepEqual(up.main, { set: { mode: '4', lacp_rate: '1', miimon: '100' }, old: { mode: '1', miimon: '0' } });
  assert.deepEqual(up.undoPre, { lacp_rate: '0' });
  const live = bondOptionChange({ mode: '1', miimon: '100' }, { mode: '1', miimon: '200' });
  assert.deepEqual(live.main.set, { miimon: '200' });
  assert.ok(!live.needsDown && !live.needsRelease);
});

test('kernel flags: IFDOWN and NOSLAVES options (bond_options.c), peer_notif_delay range', () => {
  assert.deepEqual([...IFDOWN_OPTIONS].sort(), ['ad_select', 'ad_user_port_key', 'coupled_control', 'lacp_active', 'lacp_rate', 'mode', 'tlb_dynamic_lb']);
  assert.deepEqual([...NO_SLAVES_OPTIONS].sort(), ['fail_over_mac', 'mode']);
  const lacp = bondOptionChange({ mode: '4', miimon: '100' }, { mode: '4', miimon: '100', lacp_rate: '1' });
  assert.ok(lacp.needsDown && !lacp.needsRelease);
  assert.ok(!bondOptionChange({ mode: '4' }, { mode: '4', ad_actor_sys_prio: '100' }).needsDown);
  assert.deepEqual(optionValue('peer_notif_delay', '300000'), { value: '300000' });
  assert.ok('error' in optionValue('peer_notif_delay', '300001'));
});

// Compile time at scale (no kernel): node scripts/compile-scale.mjs after npm run build
import { compile, emptyOrigins } from '../dist/src/apply/compile/index.js';
import { canonicalize } from '../dist/src/plan/canonicalize.js';
const nets = {}; for (let i = 0; i < 3000; i++) nets[`n${i}`] = { ipaddr: `10.${i >> 8}.${i & 255}.1`, prefix: 24, gateway: `10.${i >> 8}.${i & 255}.254` };
const cfg = canonicalize({ networks: nets });
const E = { networks: {}, bondings: {} };
const host = { links: {}, routes: [], sysctls: { default: { accept_ra: '1', autoconf: '1', disable_ipv6: '0' } }, resolv: '' };
for (const [f, t, l] of [[E, cfg, 'add 3000'], [cfg, E, 'remove 3000']]) { const t0 = performance.now(); const c = compile({ from: f, to: t, host, origins: emptyOrigins(), resolvConf: '/tmp/r' }); console.log(l, c.ops.length, 'ops', Math.round(performance.now() - t0), 'ms'); }
const nets2 = {}; for (let i = 0; i < 3000; i++) nets2[`n${i}`] = { ipaddr: `10.${i >> 8}.${i & 255}.2`, prefix: 24, gateway: `10.${i >> 8}.${i & 255}.254` };
const cfg2 = canonicalize({ networks: nets2 });
{ const t0 = performance.now(); const c = compile({ from: cfg, to: cfg2, host, origins: emptyOrigins(), resolvConf: '/tmp/r' }); console.log('readdress 3000', c.ops.length, 'ops', Math.round(performance.now() - t0), 'ms'); }

// Generic helpers that know nothing of networks or of the API: starting processes (exec.ts),
// atomic files (fs.ts), IP address arithmetic (ip.ts), "k=v" option strings (kv.ts), stable
// hashes (hash.ts), JSON equality (json-equal.ts), resolv.conf text (resolv.ts), text trees
// (forest.ts), one run at a time of shared work (coalesce.ts), timing traces (trace.ts) and
// processes as /proc shows them (proc.ts).
// May import: nothing
export * from './coalesce.js';
export * from './exec.js';
export * from './forest.js';
export * from './fs.js';
export * from './hash.js';
export * from './ip.js';
export * from './json-equal.js';
export * from './kv.js';
export * from './proc.js';
export * from './resolv.js';
export * from './trace.js';

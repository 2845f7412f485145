// The kernel backend: a transaction (transaction.ts) takes the host from the running config to a
// desired one. compile/ lowers each plan step to kernel operations with their undo (ops.ts), the
// executor runs them group by group (executor.ts over kernel.ts and ipbatch.ts; the DHCP clients'
// processes by dhcp.ts), the journal and the origins make a crash or a failure roll back
// (journal.ts, origins.ts), and one transaction at a time holds the state directory (lock.ts).
// May import: api, model, observe, persist, plan, util
export * from './executor.js';
export * from './lock.js';
export * from './ops.js';
export * from './transaction.js';

// The V8 flags the agent (`run`) is started with: the one definition, read by the launcher
// (bin/ovirt-node-network-handler.js, which re-executes `run` with them) and by the benchmarks
// that time the agent's code as it runs (bench/apply.ts). Plain JS beside the launcher: it is
// read before anything is imported from dist/.
//
// The agent lives for months beside the workloads, mostly at rest: V8 is started for memory
// rather than speed (scripts/agent-memory.mjs, docs/benchmarks.md "Memory"):
//   --max-semi-space-size=1  caps the young generation, which otherwise grows to tens of MB of
//                            RSS for garbage that is short-lived anyway (250 → 175 MB at 1000
//                            interfaces, session 3);
//   --lite-mode              no optimizing compilers, lazy feedback: fewer pages of node's binary
//                            touched, less code and heap kept — 126 → 89 MB at 1000 interfaces,
//                            85 → 74 MB at 4, for 1.3× the CPU at rest at 1000 (0.9–1.0× at 4).

/** The flag whose presence on the command line means "flags given: do not re-execute". */
export const SEMI_SPACE_FLAG = '--max-semi-space-size';
/** The flags `run` is re-executed with. */
export const AGENT_V8_FLAGS = Object.freeze([`${SEMI_SPACE_FLAG}=1`, '--lite-mode']);
/** Added by `run --low-memory`: V8 grows its heap less and collects sooner, for more CPU. */
export const LOW_MEMORY_V8_FLAGS = Object.freeze(['--memory-saver-mode']);

// Status bytes per network by shape, and the object at the largest spec the CRD accepts (no
// kernel: bench/status-size.ts, the code test/unit/status-budget.test.ts runs). After a build:
//   node_modules/node/bin/node scripts/status-size.mjs
import { statusSizeReport } from '../dist/bench/status-size.js';

process.stdout.write(statusSizeReport());

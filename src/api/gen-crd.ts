// `npm run gen:crd`: writes deploy/crd.yaml from the schemas (a unit test checks it is current).
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../util/fs.js';
import { crdYaml } from './crd.js';

/** From dist/src/api (compiled) to the repository root. */
export const CRD_PATH = fileURLToPath(new URL('../../../deploy/crd.yaml', import.meta.url));

await writeFileAtomic(CRD_PATH, crdYaml());
process.stdout.write(`wrote ${CRD_PATH}\n`);

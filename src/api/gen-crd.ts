// `npm run gen:crd`: writes deploy/crd.yaml and deploy/crd-policy.yaml from the schemas (unit
// tests check they are current).
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../util/fs.js';
import { crdYaml, policyCrdYaml } from './crd.js';

/** From dist/src/api (compiled) to the repository root. */
export const CRD_PATH = fileURLToPath(new URL('../../../deploy/crd.yaml', import.meta.url));
export const POLICY_CRD_PATH = fileURLToPath(new URL('../../../deploy/crd-policy.yaml', import.meta.url));

for (const [path, text] of [
  [CRD_PATH, crdYaml()],
  [POLICY_CRD_PATH, policyCrdYaml()],
] as const) {
  await writeFileAtomic(path, text);
  process.stdout.write(`wrote ${path}\n`);
}

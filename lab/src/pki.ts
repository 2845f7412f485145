// The lab cluster's certificates, made with openssl: a CA, the API server's serving cert
// (valid for every address nodes use to reach it), an admin client cert and the
// service-account signing key pair.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { run } from '../../src/util/exec.js';
import { NET } from './config.js';

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  saKey: string;
  saPub: string;
  /** The API server's client certificate towards kubelets (logs, exec). */
  kubeletClientCert: string;
  kubeletClientKey: string;
}

export function pkiPaths(dir: string): Pki {
  const p = (f: string) => join(dir, f);
  return {
    dir,
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    serverCert: p('apiserver.crt'),
    serverKey: p('apiserver.key'),
    adminCert: p('admin.crt'),
    adminKey: p('admin.key'),
    saKey: p('sa.key'),
    saPub: p('sa.pub'),
    kubeletClientCert: p('apiserver-kubelet-client.crt'),
    kubeletClientKey: p('apiserver-kubelet-client.key'),
  };
}

async function ecKey(path: string): Promise<void> {
  await run(['openssl', 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
}

export async function signedCert(pki: Pki, key: string, cert: string, subject: string, ext: string): Promise<void> {
  const csr = `${cert}.csr`;
  const extFile = `${cert}.ext`;
  await ecKey(key);
  await run(['openssl', 'req', '-new', '-key', key, '-subj', subject, '-out', csr]);
  await writeFile(extFile, ext);
  await run([
    'openssl',
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    pki.caCert,
    '-CAkey',
    pki.caKey,
    '-CAcreateserial',
    '-days',
    '365',
    '-sha256',
    '-extfile',
    extFile,
    '-out',
    cert,
  ]);
}

export const CLIENT_EXT =
  'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n';

export function serverExt(sans: string[]): string {
  return (
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' +
    `subjectAltName=${sans.join(',')}\n`
  );
}

export async function createPki(dir: string): Promise<Pki> {
  const pki = pkiPaths(dir);
  if (existsSync(pki.saPub)) return pki;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await ecKey(pki.caKey);
  await run([
    'openssl',
    'req',
    '-x509',
    '-new',
    '-key',
    pki.caKey,
    '-subj',
    '/CN=ovnh-lab-ca',
    '-days',
    '365',
    '-sha256',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-out',
    pki.caCert,
  ]);
  const sans = [
    'DNS:localhost',
    'DNS:kubernetes',
    'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc',
    'DNS:kubernetes.default.svc.cluster.local',
    'IP:127.0.0.1',
    `IP:${NET.mgmtGateway}`,
    `IP:${NET.vmApiAddress}`,
    `IP:${NET.serviceIp}`,
  ];
  await signedCert(pki, pki.serverKey, pki.serverCert, '/CN=kube-apiserver', serverExt(sans));
  await signedCert(pki, pki.adminKey, pki.adminCert, '/O=system:masters/CN=ovnh-lab-admin', CLIENT_EXT);
  await signedCert(
    pki,
    pki.kubeletClientKey,
    pki.kubeletClientCert,
    '/O=system:masters/CN=kube-apiserver-kubelet-client',
    CLIENT_EXT,
  );
  await ecKey(pki.saKey);
  await run(['openssl', 'pkey', '-in', pki.saKey, '-pubout', '-out', pki.saPub]);
  return pki;
}

/** A kubeconfig with the admin client cert, for a given server URL. */
export async function writeKubeconfig(
  path: string,
  pki: Pki,
  server: string,
  user = { cert: pki.adminCert, key: pki.adminKey },
): Promise<void> {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'ovnh-lab', cluster: { server, 'certificate-authority': pki.caCert } }],
    users: [{ name: 'ovnh-lab-admin', user: { 'client-certificate': user.cert, 'client-key': user.key } }],
    contexts: [{ name: 'ovnh-lab', context: { cluster: 'ovnh-lab', user: 'ovnh-lab-admin' } }],
    'current-context': 'ovnh-lab',
  };
  await writeFile(path, stringify(doc), { mode: 0o600 });
}

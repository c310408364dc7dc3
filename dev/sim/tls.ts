/**
 * A local certificate authority and a server certificate for `localhost` / `127.0.0.1`, made once with
 * node-forge and reused. Clients trust the CA through NODE_EXTRA_CA_CERTS.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import forge from 'node-forge';

export interface LocalCa {
  caCertFile: string;
  certFile: string;
  keyFile: string;
}

const VALID_DAYS = 825;

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** RSA key pair from Node's crypto (fast), in forge's representation. */
function rsaKeys(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(pem);
  return { privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e) };
}

function serial(): string {
  // Positive serial number: clear the top bit.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate): void {
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 24 * 3600 * 1000);
  cert.validity.notAfter = new Date(now.getTime() + VALID_DAYS * 24 * 3600 * 1000);
}

function createCa(): { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey } {
  const keys = rsaKeys();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  validity(cert);
  const subject = [
    { name: 'commonName', value: 'MTD Connector Local CA' },
    { name: 'organizationName', value: 'MTD Connector (local development)' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { cert, key: keys.privateKey };
}

function createServerCert(ca: { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey }): {
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
} {
  const keys = rsaKeys();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  validity(cert);
  cert.setSubject([{ name: 'commonName', value: 'localhost' }]);
  cert.setIssuer(ca.cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 2, value: 'localhost' },
        { type: 7, ip: '127.0.0.1' },
        { type: 7, ip: '::1' },
      ],
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.cert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(ca.key, forge.md.sha256.create());
  return { cert, key: keys.privateKey };
}

/**
 * Creates (once) a local CA and a server certificate signed by it, as PEM files in `dir`:
 * `ca.crt`, `ca.key`, `server.crt`, `server.key`. Existing files are reused.
 */
export async function ensureLocalCa(dir: string): Promise<LocalCa> {
  const files = {
    caCertFile: join(dir, 'ca.crt'),
    caKeyFile: join(dir, 'ca.key'),
    certFile: join(dir, 'server.crt'),
    keyFile: join(dir, 'server.key'),
  };
  const present = await Promise.all(Object.values(files).map(exists));
  if (present.every(Boolean)) {
    const serverPem = await readFile(files.certFile, 'utf8');
    const server = forge.pki.certificateFromPem(serverPem);
    if (server.validity.notAfter.getTime() > Date.now() + 24 * 3600 * 1000) {
      return { caCertFile: files.caCertFile, certFile: files.certFile, keyFile: files.keyFile };
    }
  }
  await mkdir(dir, { recursive: true });
  const ca = createCa();
  const server = createServerCert(ca);
  await writeFile(files.caKeyFile, forge.pki.privateKeyToPem(ca.key), { mode: 0o600 });
  await writeFile(files.keyFile, forge.pki.privateKeyToPem(server.key), { mode: 0o600 });
  // Key files first, certificates last: a partly written set is never taken for a complete one.
  await writeFile(files.certFile, forge.pki.certificateToPem(server.cert));
  await writeFile(files.caCertFile, forge.pki.certificateToPem(ca.cert));
  return { caCertFile: files.caCertFile, certFile: files.certFile, keyFile: files.keyFile };
}

/** Certificate parsing and chain checks shared by both platforms (node's crypto for signatures). */
import { X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { fail } from './failure.js';

export interface ParsedCertificate {
  der: Buffer;
  x509: X509Certificate;
  /** Serial number, lower-case hex without leading zeros (the status list's key format). */
  serial: string;
  /** Extension values (the OCTET STRING contents) by OID. */
  extensions: Map<string, Uint8Array>;
}

export function parseCertificate(der: Buffer, label: string): ParsedCertificate {
  let x509: X509Certificate;
  let extensions: Map<string, Uint8Array>;
  try {
    x509 = new X509Certificate(der);
    const asn = AsnConvert.parse(der, Certificate);
    extensions = new Map((asn.tbsCertificate.extensions ?? []).map((ext) => [ext.extnID, new Uint8Array(ext.extnValue.buffer)]));
  } catch {
    fail(`${label} is not a valid DER certificate`);
  }
  const serial = x509.serialNumber.toLowerCase().replace(/^0+(?=.)/, '');
  return { der, x509, serial, extensions };
}

/** Parses a PEM bundle into certificates; throws on anything that is not a certificate. */
export function parsePemBundle(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error('no PEM certificate found');
  return blocks.map((block) => new X509Certificate(block));
}

/** A phone's clock may run ahead: its Keystore dates a new key's certificate by it. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

function within(cert: X509Certificate, now: Date): boolean {
  const time = now.getTime();
  return Date.parse(cert.validFrom) - CLOCK_SKEW_MS <= time && time <= Date.parse(cert.validTo) + CLOCK_SKEW_MS;
}

function sameKey(a: X509Certificate, b: X509Certificate): boolean {
  return a.publicKey.export({ type: 'spki', format: 'der' }).equals(b.publicKey.export({ type: 'spki', format: 'der' }));
}

function signedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/**
 * Checks a chain, leaf first: each certificate signed by the next, the last signed by a trusted root (a root's own
 * certificate at the end is signed by its key), each valid at `now`. A trusted root is a key and a name (RFC 5280 §6),
 * so the validity of a root's certificate presented at the end of the chain is not checked: older devices carry an
 * earlier certificate of the same root key.
 */
export function verifyChain(chain: readonly ParsedCertificate[], roots: readonly X509Certificate[], now: Date): void {
  for (let index = 0; index < chain.length - 1; index += 1) {
    const cert = chain[index]!;
    const issuer = chain[index + 1]!;
    if (!signedBy(cert.x509, issuer.x509)) {
      fail(`the chain is broken: certificate ${index} is not signed by certificate ${index + 1}`);
    }
  }
  const last = chain[chain.length - 1]!;
  const anchor = roots.find((root) => signedBy(last.x509, root));
  if (!anchor) fail('the chain does not end at a trusted root');
  const lastIsAnchor = last.x509.subject === anchor.subject && sameKey(last.x509, anchor);
  chain.forEach((cert, index) => {
    if (index === chain.length - 1 && lastIsAnchor) return;
    if (!within(cert.x509, now)) fail(`certificate ${cert.serial} is not valid at ${now.toISOString()}`);
  });
}

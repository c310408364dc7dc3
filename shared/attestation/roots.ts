/** Trusted roots: the settings' PEM (inline or a file path), else the certificates shipped with the service. */
import type { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parsePemBundle } from './certificates.js';
import { appleAppAttestationRootPem, googleHardwareAttestationRootsPem } from './shippedRoots.js';

/** A setting's roots: PEM text when it holds a certificate, else the path of a PEM file. */
export function loadRoots(setting: string | undefined, shipped: string): X509Certificate[] {
  if (setting === undefined || setting.trim() === '') return parsePemBundle(shipped);
  const pem = setting.includes('-----BEGIN CERTIFICATE-----') ? setting : readFileSync(setting.trim(), 'utf8');
  return parsePemBundle(pem.replace(/\\n/g, '\n'));
}

export const shippedAndroidRoots = (): X509Certificate[] => parsePemBundle(googleHardwareAttestationRootsPem);
export const shippedAppleRoots = (): X509Certificate[] => parsePemBundle(appleAppAttestationRootPem);
export { appleAppAttestationRootPem, googleHardwareAttestationRootsPem };

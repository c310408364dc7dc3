/**
 * The guard against server-side request forgery for webhook URLs: an endpoint must be `https`, and its host must be
 * (or resolve only to) public unicast addresses, unless the host is listed in `WEBHOOK_ALLOWED_PRIVATE_HOSTS`.
 * The check runs at creation and again at every delivery, on the addresses the delivery then connects to, so a
 * name that later resolves privately (DNS rebinding) is refused at delivery.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** Resolves a host name to every address it has (A and AAAA). A port, so tests can make names resolve anywhere. */
export type HostResolver = (hostname: string) => Promise<readonly string[]>;

export const systemResolver: HostResolver = async (hostname) => {
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map((entry) => entry.address);
};

/**
 * True for a public unicast address. IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is judged as the IPv4 address it
 * carries; every special range ipaddr.js knows (private, loopback, link-local, unique local, CGNAT, multicast,
 * unspecified, documentation, 6to4, Teredo, NAT64 ...) is refused.
 */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  if (!ipaddr.isValid(bare)) return false;
  return ipaddr.process(bare).range() === 'unicast';
}

/** A URL's host as compared with the allow list and given to the resolver: lower case, IPv6 without brackets. */
export function bareHost(url: URL): string {
  return url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
}

export type HostCheck =
  | { readonly ok: true; readonly addresses: readonly string[]; readonly allowedPrivate: boolean }
  | { readonly ok: false; readonly reason: string };

/**
 * Resolves the URL's host and checks every address. An IP literal is checked as it is. A host on the allow list
 * may resolve anywhere. The addresses returned are the ones a delivery may connect to.
 */
export async function checkHost(url: URL, options: { resolver: HostResolver; allowedPrivateHosts: readonly string[] }): Promise<HostCheck> {
  const host = bareHost(url);
  const allowed = options.allowedPrivateHosts.includes(host);
  let addresses: readonly string[];
  if (isIP(host) !== 0) {
    addresses = [host];
  } else {
    try {
      addresses = await options.resolver(host);
    } catch {
      return { ok: false, reason: `the host ${host} does not resolve` };
    }
    if (addresses.length === 0) return { ok: false, reason: `the host ${host} does not resolve` };
  }
  if (!allowed) {
    const refused = addresses.find((address) => !isPublicAddress(address));
    if (refused !== undefined) {
      return {
        ok: false,
        reason:
          refused === host
            ? `${host} is a private, loopback, link-local or otherwise non-public address`
            : `the host ${host} resolves to ${refused}, a private, loopback, link-local or otherwise non-public address`,
      };
    }
  }
  return { ok: true, addresses, allowedPrivate: allowed };
}

/** The shape rules of an endpoint URL, before any resolution: https, no credentials, no fragment, a host. */
export function urlProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:') return 'must be an https URL';
  if (url.username !== '' || url.password !== '') return 'must not carry a user name or password';
  if (url.hash !== '') return 'must not have a fragment';
  if (url.hostname === '') return 'must name a host';
  return undefined;
}

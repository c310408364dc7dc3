import { describe, expect, it } from 'vitest';
import { checkHost, isPublicAddress, urlProblem, type HostResolver } from '../../../shared/webhooks/addressGuard.js';

const resolverOf =
  (table: Record<string, readonly string[]>): HostResolver =>
  (host) => {
    const found = table[host];
    return found ? Promise.resolve(found) : Promise.reject(new Error(`ENOTFOUND ${host}`));
  };

describe('isPublicAddress', () => {
  it.each([
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '127.0.0.1',
    '127.8.8.8',
    '169.254.169.254',
    '0.0.0.0',
    '100.64.0.1',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fe80::1%eth0',
    'fc00::1',
    'fd12:3456::1',
    '::ffff:10.0.0.1',
    '::ffff:127.0.0.1',
    '::ffff:169.254.169.254',
    '[::ffff:192.168.0.1]',
    '64:ff9b::a00:1',
    '2002:a00:1::',
    'ff02::1',
  ])('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:93.184.216.34', '172.32.0.1'])('accepts %s', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it('refuses what is not an address', () => {
    expect(isPublicAddress('example.com')).toBe(false);
    expect(isPublicAddress('')).toBe(false);
  });
});

describe('checkHost', () => {
  const resolver = resolverOf({
    'public.example': ['93.184.216.34', '2606:4700:4700::1111'],
    'mixed.example': ['93.184.216.34', '10.0.0.7'],
    'mapped.example': ['::ffff:127.0.0.1'],
    localhost: ['127.0.0.1'],
  });

  it('accepts a name whose every address is public, and returns them to connect to', async () => {
    expect(await checkHost(new URL('https://public.example/hook'), { resolver, allowedPrivateHosts: [] })).toEqual({
      ok: true,
      addresses: ['93.184.216.34', '2606:4700:4700::1111'],
      allowedPrivate: false,
    });
  });

  it('refuses a name with any private address, naming it', async () => {
    const check = await checkHost(new URL('https://mixed.example/'), { resolver, allowedPrivateHosts: [] });
    expect(check).toEqual({ ok: false, reason: expect.stringContaining('10.0.0.7') as unknown });
  });

  it('refuses a name resolving to an IPv4-mapped loopback address', async () => {
    expect((await checkHost(new URL('https://mapped.example/'), { resolver, allowedPrivateHosts: [] })).ok).toBe(false);
  });

  it('refuses private IP literals, IPv4 and IPv6, without resolving', async () => {
    const never: HostResolver = () => Promise.reject(new Error('must not resolve'));
    for (const url of ['https://127.0.0.1:8443/', 'https://[::1]/', 'https://[::ffff:7f00:1]/', 'https://169.254.169.254/latest']) {
      const check = await checkHost(new URL(url), { resolver: never, allowedPrivateHosts: [] });
      expect(check.ok, url).toBe(false);
    }
  });

  it('lets a listed host through whatever it resolves to', async () => {
    expect((await checkHost(new URL('https://localhost:9443/'), { resolver, allowedPrivateHosts: ['localhost'] })).ok).toBe(true);
    expect((await checkHost(new URL('https://127.0.0.1:9443/'), { resolver, allowedPrivateHosts: ['127.0.0.1'] })).ok).toBe(true);
    expect((await checkHost(new URL('https://[::1]:9443/'), { resolver, allowedPrivateHosts: ['::1'] })).ok).toBe(true);
    // Listing one name does not list another that resolves to the same place.
    expect((await checkHost(new URL('https://mapped.example/'), { resolver, allowedPrivateHosts: ['localhost'] })).ok).toBe(false);
  });

  it('refuses a name that does not resolve', async () => {
    expect(await checkHost(new URL('https://nowhere.example/'), { resolver, allowedPrivateHosts: [] })).toEqual({
      ok: false,
      reason: 'the host nowhere.example does not resolve',
    });
  });
});

describe('urlProblem', () => {
  it('requires an absolute https URL without credentials or fragment', () => {
    expect(urlProblem('https://hooks.example.com/x?y=1')).toBeUndefined();
    expect(urlProblem('http://hooks.example.com/')).toBe('must be an https URL');
    expect(urlProblem('ftp://hooks.example.com/')).toBe('must be an https URL');
    expect(urlProblem('/relative')).toBe('must be an absolute URL');
    expect(urlProblem('https://user:pw@hooks.example.com/')).toBe('must not carry a user name or password');
    expect(urlProblem('https://hooks.example.com/#frag')).toBe('must not have a fragment');
  });
});

/**
 * What no request may do to the local servers of `npm run dev` (the function host, the console, the simulated
 * tenant): end their process, or make them read an oversized body to its end before refusing it.
 */
import { connect } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleSecurityHeaders, consoleSettings, startConsoleServer, type ConsoleServer } from '../../../dev/host/console.js';
import { startStack, type Stack } from '../../support/stack.js';

let stack: Stack<{ scenario: 'default'; checkContract: false }>;
let web: ConsoleServer;
const settings = consoleSettings({
  authorityHost: 'https://login.example.test',
  clientId: 'console-client',
  apiClientId: 'api-client',
  apiBaseUrl: 'http://localhost:7071',
});

beforeAll(async () => {
  // Straight to the host (no contract-checking proxy in between): these requests are about the host's own socket.
  stack = await startStack({ scenario: 'default', checkContract: false });
  const dist = await mkdtemp(join(tmpdir(), 'console-dist-'));
  await writeFile(join(dist, 'index.html'), '<!doctype html><title>console</title>');
  web = await startConsoleServer({ dist, settings });
}, 60_000);

afterAll(async () => {
  await web?.close();
  await stack?.stop();
});

/** Sends a raw request line and headers, and resolves with the status line of the reply. */
function raw(port: number, lines: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(lines));
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n');
      if (end >= 0) {
        resolve(received.slice(0, end));
        socket.destroy();
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(received.split('\r\n')[0] ?? ''));
  });
}

/**
 * POSTs `bytes` of body (chunked, or with the declared `content-length`) in 8 KiB pieces over a raw socket and never
 * ends it: a reply can only come from a server that refuses the body as it arrives. Resolves with the status and how
 * much had been sent when the reply came.
 */
function postWithoutEnd(url: string, bytes: number, headers: Record<string, string> = {}): Promise<{ status: number; sent: number }> {
  const target = new URL(url);
  const chunked = headers['content-length'] === undefined;
  return new Promise((resolve, reject) => {
    let sent = 0;
    let received = '';
    const socket = connect(Number(target.port), '127.0.0.1', () => {
      const head = [`POST ${target.pathname} HTTP/1.1`, `Host: ${target.host}`, 'Content-Type: application/json'];
      for (const [name, value] of Object.entries(headers)) head.push(`${name}: ${value}`);
      if (chunked) head.push('Transfer-Encoding: chunked');
      socket.write(`${head.join('\r\n')}\r\n\r\n`);
      const piece = Buffer.alloc(8 * 1024, 0x20);
      const next = (): void => {
        if (sent >= bytes || socket.destroyed) return;
        sent += piece.length;
        const framed = chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
        socket.write(framed, () => next());
      };
      next();
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(received);
      if (status) {
        resolve({ status: Number(status[1]), sent });
        socket.destroy();
      }
    });
    socket.on('error', reject);
  });
}

describe('the local host reads a body no further than its route allows', () => {
  it('refuses an unauthenticated device body at 64 KiB with 413 before the client finished sending it', { timeout: 30_000 }, async () => {
    const reply = await postWithoutEnd(`${stack.host.url}/api/v1/device/heartbeat`, 80 * 1024);
    expect(reply.status).toBe(413);
  });

  it('refuses a declared length over the device limit at once', { timeout: 30_000 }, async () => {
    const reply = await postWithoutEnd(`${stack.host.url}/api/v1/device/threat-report`, 8 * 1024, { 'content-length': String(10 * 1024 * 1024) });
    expect(reply.status).toBe(413);
    expect(reply.sent).toBeLessThanOrEqual(8 * 1024);
  });

  it('lets a client that sent an oversized body whole read the 413, every time', { timeout: 60_000 }, async () => {
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const reply = await fetch(`${stack.host.url}/api/v1/device/heartbeat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ pad: 'x'.repeat(600 * 1024) }),
      });
      expect(reply.status).toBe(413);
      expect(await reply.json()).toMatchObject({ status: 413 });
    }
  });

  it('cuts other routes at their limit (256 KiB) the same way', { timeout: 30_000 }, async () => {
    const reply = await postWithoutEnd(`${stack.host.url}/api/v1/console/webhooks`, 300 * 1024);
    expect(reply.status).toBe(413);
  });
});

describe('no request ends a local server', () => {
  it('answers a malformed path on the console with 400 and keeps serving', async () => {
    const reply = await fetch(`${web.url}/%E0`);
    expect(reply.status).toBe(400);
    expect(await raw(web.port, 'GET http://[ HTTP/1.1\r\nHost: x\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    const index = await fetch(`${web.url}/devices`);
    expect(index.status).toBe(200);
  });

  it('answers request targets that are not URLs on the host with 400 and keeps serving', async () => {
    expect(await raw(stack.host.port, 'GET http://[ HTTP/1.1\r\nHost: x\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect((await fetch(`${stack.host.url}/api/%E0`)).status).toBe(404);
    expect((await fetch(`${stack.host.url}/api/health`)).status).toBe(200);
  });

  it('answers the simulator a malformed path without failing', async () => {
    const reply = await fetch(`${stack.sim.url}/v1.0/%E0`);
    expect(reply.status).toBeLessThan(500);
    expect((await fetch(`${stack.sim.url}/v1.0/%E0?$top=1`)).status).toBeLessThan(500);
  });
});

describe('the console sends its security headers', () => {
  it('on pages, assets, settings and refusals alike', async () => {
    for (const path of ['/', '/devices', '/config.json', '/missing.js', '/%E0']) {
      const reply = await fetch(`${web.url}${path}`);
      const csp = reply.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
      expect(csp).toMatch(/connect-src 'self' http:\/\/localhost:7071 https:\/\/login\.example\.test(;|$)/);
      expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
      expect(reply.headers.get('referrer-policy')).toBe('no-referrer');
    }
    expect(consoleSecurityHeaders(settings)['content-security-policy']).toContain("default-src 'self'");
  });
});

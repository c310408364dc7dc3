/**
 * An attempt ends within its time-out whatever the endpoint does, against real local HTTPS endpoints: one that never
 * answers, one that answers 200 at once and then trickles its body a byte at a time (slower than the time-out), and
 * one that trickles its headers. Each attempt's result comes by the deadline, and the endpoint sees its socket closed
 * then (the socket is destroyed, not kept for reuse). A quick answer still reuses its connection.
 */
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsPoster, type PostResult } from '../../../shared/webhooks/runtime.js';
import { tlsFiles } from '../../support/simClient.js';

/** Short, so the test is quick; the endpoints are slower than it by far (a byte at once, then one every 20 s). */
const timeoutMs = 1_000;
const trickleEveryMs = 20_000;

let server: Server;
let port = 0;
const sockets = new Set<Socket>();
const closed: string[] = [];
const timers = new Set<NodeJS.Timeout>();

beforeAll(async () => {
  server = createServer(tlsFiles(), (request, response) => {
    request.resume();
    request.on('end', () => {
      const path = request.url ?? '/';
      request.socket.once('close', () => closed.push(path));
      if (path === '/silent') return;
      if (path === '/quick') {
        response.writeHead(204).end();
        return;
      }
      if (path === '/trickle-body') {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.flushHeaders();
      }
      const trickle = (): void => {
        if (path === '/trickle-headers') request.socket.write('H');
        else response.write('.');
      };
      trickle();
      const timer = setInterval(trickle, trickleEveryMs);
      timers.add(timer);
      request.socket.once('close', () => clearInterval(timer));
    });
  });
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
});

afterAll(async () => {
  for (const timer of timers) clearInterval(timer);
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function attempt(path: string): Promise<{ result: PostResult; ms: number }> {
  const started = performance.now();
  const result = await httpsPoster({
    url: new URL(`https://localhost:${port}${path}`),
    address: '127.0.0.1',
    headers: {},
    body: '{"hello":"world"}',
    timeoutMs,
  });
  return { result, ms: performance.now() - started };
}

async function until(check: () => boolean): Promise<void> {
  for (let waited = 0; !check(); waited += 20) {
    if (waited > 5_000) throw new Error('condition not met');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('a webhook attempt', () => {
  it('ends at the deadline when the endpoint never answers, and closes the socket', async () => {
    const { result, ms } = await attempt('/silent');
    expect(result).toMatchObject({ kind: 'error', timedOut: true });
    expect(ms).toBeGreaterThanOrEqual(timeoutMs - 50);
    await until(() => closed.includes('/silent'));
  });

  it('ends at the deadline when the endpoint answers 200 and then trickles its body, and closes the socket', async () => {
    const { result, ms } = await attempt('/trickle-body');
    // The status came in time: it counts; the body did not, and does not hold the socket.
    expect(result).toMatchObject({ kind: 'answer', status: 200 });
    expect(ms).toBeGreaterThanOrEqual(timeoutMs - 50);
    await until(() => closed.includes('/trickle-body'));
  });

  it('ends at the deadline when the endpoint trickles its headers', async () => {
    const { result, ms } = await attempt('/trickle-headers');
    expect(result.kind).toBe('error');
    expect(ms).toBeGreaterThanOrEqual(timeoutMs - 50);
    await until(() => closed.includes('/trickle-headers'));
  });

  it('answers a quick endpoint at once and keeps its connection for the next attempt', async () => {
    const first = await attempt('/quick');
    expect(first.result).toMatchObject({ kind: 'answer', status: 204 });
    const second = await attempt('/quick');
    expect(second.result).toMatchObject({ kind: 'answer', status: 204 });
    expect(closed.filter((path) => path === '/quick')).toEqual([]);
  });
});

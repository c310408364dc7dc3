/**
 * The local function host serving the real catalog plus a timer, a queue function and a key-protected HTTP
 * function of this test's own, over HTTP on a free port, against the run's Azurite.
 */
import { randomBytes } from 'node:crypto';
import type { HttpRequest, InvocationContext, Timer } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { catalog } from '../../../functions/catalog.js';
import type { CatalogEntry } from '../../../functions/handlers.js';
import { devSettings } from '../../../dev/devSettings.js';
import type { LocalHost } from '../../../dev/host/server.js';
import type { Services } from '../../../shared/app/services.js';
import { startStack, type Stack } from '../../support/stack.js';
import { azuriteConnectionString } from '../../support/tables.js';

const functionKey = randomBytes(12).toString('hex');
const queueName = 'host-test-queue';

interface TimerCall {
  timer: Timer;
  functionName: string;
}
interface QueueCall {
  bodies: unknown[];
  deliveryCounts: unknown;
  messageIds: unknown;
}

const timerCalls: TimerCall[] = [];
const queueCalls: QueueCall[] = [];
const lines: string[] = [];
const seen = new Map<string, number>();
let stack: Stack<{ scenario: false }>;
let host: LocalHost;

const testEntries: CatalogEntry[] = [
  {
    kind: 'timer',
    name: 'testTimer',
    schedule: '0 0 0 1 1 *',
    // Sends two nudges through the services' queue port: they must reach the queue function below.
    handler: (services: Services) => async (timer: Timer, context: InvocationContext) => {
      timerCalls.push({ timer, functionName: context.functionName });
      await services.queues(queueName).send([
        { messageId: 'from-timer-1', body: { n: 1 } },
        { messageId: 'from-timer-2', body: { n: 2 } },
      ]);
    },
  },
  {
    kind: 'timer',
    name: 'failingTimer',
    schedule: '%HEARTBEAT_CHECK_SCHEDULE%',
    handler: () => () => Promise.reject(new Error('the timer broke')),
  },
  {
    kind: 'serviceBusQueue',
    name: 'testQueueFunction',
    queueName,
    connection: 'ServiceBusConnection',
    cardinality: 'many',
    handler: () => (messages: unknown[], context: InvocationContext) => {
      const metadata = context.triggerMetadata ?? {};
      queueCalls.push({ bodies: messages, deliveryCounts: metadata.deliveryCountArray, messageIds: metadata.messageIdArray });
      for (const body of messages) {
        if (typeof body !== 'object' || body === null || !('fail' in body)) continue;
        const key = JSON.stringify(body);
        const count = (seen.get(key) ?? 0) + 1;
        seen.set(key, count);
        if (body.fail === 'always' || (body.fail === 'once' && count === 1)) {
          return Promise.reject(new Error(`cannot handle ${key}`));
        }
      }
      return Promise.resolve();
    },
  },
  {
    kind: 'http',
    name: 'testEcho',
    authLevel: 'function',
    route: {
      method: 'POST',
      route: 'test/echo/{id:int}',
      summary: 'Echoes what the host passed in.',
      tags: ['test'],
      security: 'functionKey',
      body: z.unknown(),
      responses: { 200: { description: 'echo', contentType: 'application/json' } },
    },
    handler: () => async (request: HttpRequest) => ({
      status: 200,
      jsonBody: {
        method: request.method,
        id: request.params.id,
        flag: request.query.get('flag'),
        contentType: request.headers.get('content-type'),
        body: await request.json(),
      },
      cookies: [{ name: 'session', value: 'abc', httpOnly: true, path: '/' }],
      headers: { 'x-echo': 'yes' },
    }),
  },
];

beforeAll(async () => {
  const settings = devSettings({ env: {}, simUrl: 'https://localhost:9', storage: azuriteConnectionString(), port: 0 });
  stack = await startStack({
    scenario: false,
    settings,
    host: { catalog: [...catalog, ...testEntries], functionKey, settings, queue: { retryDelayMs: () => 5 }, log: (line) => lines.push(line) },
  });
  host = stack.host;
});

afterAll(async () => {
  await stack.stop();
});

const get = (path: string, init: RequestInit = {}) => fetch(`${host.url}${path}`, init);
const withKey = { 'x-functions-key': functionKey };

describe('local host: HTTP functions of the catalog', () => {
  it('serves GET /api/health and the OpenAPI document', async () => {
    const health = await get('/api/health');
    expect(health.status).toBe(200);
    expect(health.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await health.json()).toMatchObject({ status: 'ok' });

    const openApi = await get('/api/openapi.json');
    expect(openApi.status).toBe(200);
    const document = (await openApi.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toContain('/api/health');
    expect(lines).toContainEqual(expect.stringMatching(/^HTTP GET \/api\/health 200 \d+ms$/));
  });

  it('answers an unknown path with 404 and a wrong method with 405 and Allow, as problem+json', async () => {
    const missing = await get('/api/no/such/route');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    expect(await missing.json()).toMatchObject({ status: 404 });

    const wrongMethod = await get('/api/health', { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
    expect(await wrongMethod.json()).toMatchObject({ status: 405 });
  });
});

describe('local host: function keys and requests', () => {
  const echo = (path: string, headers: Record<string, string> = {}, body: string = '{"hello":"world"}') =>
    get(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it('refuses a function-level route without the key, or with a wrong one', async () => {
    const without = await echo('/api/test/echo/7');
    expect(without.status).toBe(401);
    expect(without.headers.get('content-type')).toBe('application/problem+json');
    expect((await echo('/api/test/echo/7', { 'x-functions-key': 'wrong' })).status).toBe(401);
    expect((await echo('/api/test/echo/7?code=wrong')).status).toBe(401);
  });

  it('passes a real HttpRequest with params, query and body, and writes status, headers, cookies and JSON back', async () => {
    const reply = await echo('/API/Test/Echo/7?flag=on', withKey);
    expect(reply.status).toBe(200);
    expect(reply.headers.get('x-echo')).toBe('yes');
    expect(reply.headers.get('set-cookie')).toBe('session=abc; Path=/; HttpOnly');
    expect(await reply.json()).toEqual({
      method: 'POST',
      id: '7',
      flag: 'on',
      contentType: 'application/json',
      body: { hello: 'world' },
    });
    expect((await echo(`/api/test/echo/8?code=${functionKey}`)).status).toBe(200);
    expect((await echo('/api/test/echo/eight', withKey)).status).toBe(404);
  });

  it('refuses a body over 1 MiB with 413 without calling the function', async () => {
    const huge = JSON.stringify({ data: 'x'.repeat(1024 * 1024 + 10) });
    const reply = await echo('/api/test/echo/9', withKey, huge);
    expect(reply.status).toBe(413);
    expect(await reply.json()).toMatchObject({ status: 413 });
  });

  it('never logs the function key', () => {
    expect(lines.join('\n')).not.toContain(functionKey);
  });
});

describe('local host: timers and queues through the /_dev routes', () => {
  it('requires the function key on /_dev routes', async () => {
    expect((await get('/_dev/timers/testTimer', { method: 'POST' })).status).toBe(401);
    expect((await get(`/_dev/queues/${queueName}`)).status).toBe(401);
  });

  it('fires a timer now and the messages it sends reach the queue function', async () => {
    const fired = await get('/_dev/timers/testTimer', { method: 'POST', headers: withKey });
    expect(fired.status).toBe(200);
    expect(timerCalls).toHaveLength(1);
    expect(timerCalls[0]).toMatchObject({
      functionName: 'testTimer',
      timer: { isPastDue: false, schedule: { adjustForDST: true } },
    });
    expect(Date.parse(timerCalls[0]?.timer.scheduleStatus.next ?? '')).toBeGreaterThan(Date.now());
    expect(lines).toContainEqual(expect.stringMatching(/^TIMER testTimer ok \d+ms$/));

    const drained = await get(`/_dev/queues/${queueName}/drain`, { method: 'POST', headers: withKey });
    expect(drained.status).toBe(200);
    const delivered = queueCalls.flatMap((call) => call.bodies);
    expect(delivered).toEqual(expect.arrayContaining([{ n: 1 }, { n: 2 }]));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^QUEUE ${queueName} delivered 2 msgs \\d+ms$`)));
  });

  it('answers 500 with the error when a timer fails, and 404 for an unknown timer', async () => {
    const failed = await get('/_dev/timers/failingTimer', { method: 'POST', headers: withKey });
    expect(failed.status).toBe(500);
    expect(((await failed.json()) as { detail: string }).detail).toContain('the timer broke');
    expect((await get('/_dev/timers/noSuchTimer', { method: 'POST', headers: withKey })).status).toBe(404);
  });

  it('redelivers a failing message and dead-letters one that always fails', async () => {
    queueCalls.length = 0;
    // One at a time: a batch fails as a whole, so a message batched with a poison one shares its fate.
    for (const message of [
      { messageId: 'flaky', body: { fail: 'once', id: 'flaky' } },
      { messageId: 'poison', body: { fail: 'always', id: 'poison' } },
    ]) {
      const sent = await get(`/_dev/queues/${queueName}/messages`, {
        method: 'POST',
        headers: { ...withKey, 'content-type': 'application/json' },
        body: JSON.stringify(message),
      });
      expect(sent.status).toBe(202);
      const drained = await get(`/_dev/queues/${queueName}/drain`, { method: 'POST', headers: withKey });
      expect(drained.status).toBe(200);
    }

    const flakyDeliveries = queueCalls.filter((call) => JSON.stringify(call.messageIds).includes('flaky'));
    expect(flakyDeliveries).toHaveLength(2);
    const flakyCounts = flakyDeliveries.map((call) => {
      const ids = call.messageIds as string[];
      return (call.deliveryCounts as number[])[ids.indexOf('flaky')];
    });
    expect(flakyCounts).toEqual([1, 2]);
    expect(queueCalls.filter((call) => JSON.stringify(call.messageIds).includes('poison'))).toHaveLength(10);

    const state = await get(`/_dev/queues/${queueName}`, { headers: withKey });
    expect(state.status).toBe(200);
    const body = (await state.json()) as {
      counts: Record<string, number>;
      deadLettered: { messageId: string; deliveryCount: number; deadLetterReason: string; deadLetterErrorDescription: string }[];
    };
    expect(body.counts).toEqual({ active: 0, scheduled: 0, locked: 0, deadLettered: 1 });
    expect(body.deadLettered).toHaveLength(1);
    expect(body.deadLettered[0]).toMatchObject({ messageId: 'poison', deliveryCount: 10, deadLetterReason: 'MaxDeliveryCountExceeded' });
    expect(body.deadLettered[0]?.deadLetterErrorDescription).toContain('cannot handle');
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^QUEUE ${queueName} retried \\d+ msgs? \\(delivery 2\\)`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^QUEUE ${queueName} dead-lettered poison: MaxDeliveryCountExceeded`)));
  });

  it('exposes the same queues to code through LocalHost.queues and fireTimer', async () => {
    const queue = host.queues.get(queueName);
    expect(queue).toBeDefined();
    const before = timerCalls.length;
    await host.fireTimer('testTimer');
    expect(timerCalls).toHaveLength(before + 1);
    await queue?.drain();
    expect(queue?.counts().active).toBe(0);
    await expect(host.fireTimer('failingTimer')).rejects.toThrow('the timer broke');
  });
});

describe('local host: timers on their schedules', () => {
  it('runs a timer on its NCRONTAB schedule and never overlaps it with itself', async () => {
    let active = 0;
    let mostAtOnce = 0;
    const starts: number[] = [];
    const { host: scheduled } = await stack.addHost({
      catalog: [
        {
          kind: 'timer',
          name: 'everySecond',
          schedule: '* * * * * *',
          handler: () => async () => {
            active += 1;
            mostAtOnce = Math.max(mostAtOnce, active);
            starts.push(Date.now());
            await new Promise((resolve) => setTimeout(resolve, 1_300));
            active -= 1;
          },
        },
      ],
      functionKey,
      timers: true,
    });
    try {
      // Until the schedule has started it three times, however busy the machine (each run outlasts a second).
      const deadline = Date.now() + 30_000;
      while (starts.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await scheduled.close();
    }
    expect(starts.length).toBeGreaterThanOrEqual(3);
    expect(mostAtOnce).toBe(1);
    // Each run starts after the previous one ended.
    for (const [index, at] of starts.entries()) {
      if (index > 0) expect(at - (starts[index - 1] ?? 0)).toBeGreaterThanOrEqual(1_300);
    }
  });
});

/**
 * Batched delivery through the local host: the events of one fan-out reach each endpoint as one batch (rows written
 * together, posts on the endpoint's slots), and every promise of single deliveries still holds per event: one POST
 * per event with its own id and signature, retries of only the events that failed, nothing delivered twice for a
 * duplicated or redelivered message, a stop between posting and recording posting again only what was in flight,
 * a 410 that disables the endpoint mid-batch, and a slow endpoint that never holds up another's batch.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WebhookReceiver } from '../../../dev/webhookReceiver.js';
import { deliveryIdFor, type WebhookEvent } from '../../../shared/webhooks/deliveries.js';
import { webhookQueueName } from '../../../shared/webhooks/delivery.js';
import { httpsPoster, type PostRequest, type PostResult, type WebhookPoster } from '../../../shared/webhooks/runtime.js';
import { verifiesWith } from '../../support/standardWebhooks.js';
import { call, deliveriesOf, deviceEvent, startWebhookHarness, until, type WebhookHarness } from './harness.js';

/** Per path: what the poster does instead of posting (a test's stand-in for a stopped process or a held answer). */
const hooks = new Map<string, (request: PostRequest) => Promise<PostResult>>();
const poster: WebhookPoster = (request) => (hooks.get(request.url.pathname) ?? httpsPoster)(request);
/** Posts held by hooks, released at the end so the runtime can go idle. */
const held: (() => void)[] = [];

let h: WebhookHarness;
let receiver: WebhookReceiver;

beforeAll(async () => {
  // Four posts at once per endpoint, so a batch runs in waves; a time-out a loaded machine does not reach.
  h = await startWebhookHarness({ post: poster, maxInFlightPerEndpoint: 4, timeoutMs: 5_000 });
  receiver = await h.receiver();
});

afterAll(async () => {
  for (const release of held) release();
  await h?.close();
});

const base = 'v1/console/webhooks';

async function create(path: string, types: string[] = ['device.risk_changed']): Promise<{ id: string; secret: string }> {
  const answer = await call(h.host, 'POST', base, h.tokens.admin, { url: `${receiver.url}${path}`, types });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return { id: String(answer.body.id), secret: String(answer.body.secret) };
}

async function deleteAll(): Promise<void> {
  const list = await call(h.host, 'GET', base, h.tokens.admin);
  for (const item of list.body.items as { id: string }[]) await call(h.host, 'DELETE', `${base}/${item.id}`, h.tokens.admin);
}

interface DeliveryView {
  id: string;
  eventId: string;
  status: string;
  attempts: { statusCode: number | null; error: string | null; attempt: number }[];
  failure: string | null;
}

const deliveries = (endpointId: string): Promise<DeliveryView[]> => deliveriesOf<DeliveryView>(h, endpointId);


const allEnded = (items: DeliveryView[], count: number): boolean => items.length === count && items.every((item) => item.status === 'delivered' || item.status === 'failed');

function events(count: number): WebhookEvent[] {
  return Array.from({ length: count }, () => deviceEvent(h.contoso));
}

function postsTo(path: string): { id: string; body: string; headers: Readonly<Record<string, string>> }[] {
  return receiver.received.filter((d) => d.path === path).map((d) => ({ id: d.headers['webhook-id'] ?? '', body: d.body, headers: d.headers }));
}

describe('batched webhook delivery', () => {
  // Each test starts with no endpoints and plain answers, whatever the one before left.
  beforeEach(async () => {
    receiver.answerWith(() => ({ status: 204 }));
    await deleteAll();
  });

  it('posts each event of a batch on its own, with its own id and signature', async () => {
    const { id, secret } = await create('/each');
    const batch = events(10);
    await h.publish(batch);
    const log = await until(() => deliveries(id), (items) => allEnded(items, 10));
    expect(log.every((item) => item.status === 'delivered' && item.attempts.length === 1), JSON.stringify(log)).toBe(true);
    const posts = postsTo('/each');
    expect(posts.map((post) => post.id).sort()).toEqual(batch.map((event) => event.id).sort());
    for (const post of posts) {
      expect(verifiesWith(secret, post.headers, post.body)).toBe(true);
      expect(JSON.parse(post.body)).toEqual(batch.find((event) => event.id === post.id));
    }
    await deleteAll();
  });

  it('retries only the events of a batch that failed', async () => {
    const { id } = await create('/partial');
    const batch = events(6);
    const failing = new Set([batch[1]?.id, batch[4]?.id]);
    const seen = new Set<string>();
    receiver.answerWith(({ path, headers }) => {
      if (path !== '/partial') return { status: 204 };
      const eventId = headers['webhook-id'] ?? '';
      const first = !seen.has(eventId);
      seen.add(eventId);
      return { status: first && failing.has(eventId) ? 500 : 204 };
    });
    await h.publish(batch);
    const log = await until(() => deliveries(id), (items) => items.length === 6 && items.every((item) => item.status === 'delivered'));
    for (const item of log) {
      expect(item.attempts.map((attempt) => attempt.statusCode)).toEqual(failing.has(item.eventId) ? [500, 204] : [204]);
    }
    const counts = new Map<string, number>();
    for (const post of postsTo('/partial')) counts.set(post.id, (counts.get(post.id) ?? 0) + 1);
    for (const event of batch) expect(counts.get(event.id)).toBe(failing.has(event.id) ? 2 : 1);
    receiver.answerWith(() => ({ status: 204 }));
    await deleteAll();
  });

  it('delivers nothing twice for duplicated and redelivered queue messages', async () => {
    const { id } = await create('/dup');
    const batch = events(5);
    const message = (messageId: string) => ({ messageId, body: { kind: 'events', tenantId: h.contoso, events: batch } });
    // The same events in two messages (ids the queue's duplicate detection does not know), handled at once.
    const queue = h.services.queues(webhookQueueName);
    await Promise.all([queue.send([message('dup-1')]), queue.send([message('dup-2')])]);
    await until(() => deliveries(id), (items) => allEnded(items, 5));
    // Every attempt of the batch woken again, as a redelivered or late message would.
    const deliveryIds = batch.map((event) => deliveryIdFor(event));
    for (const attempt of [1, 2, 3]) {
      await queue.send([{ messageId: `dup-batch-${attempt}`, body: { kind: 'batch', tenantId: h.contoso, endpointId: id, round: 1, attempt, deliveryIds } }]);
    }
    await queue.send([message('dup-3')]);
    await h.host.queues.get(webhookQueueName)?.drain({ timeoutMs: 20_000 });
    await h.runtime.idle();
    const posts = postsTo('/dup');
    expect(posts).toHaveLength(5);
    expect(new Set(posts.map((post) => post.id))).toEqual(new Set(batch.map((event) => event.id)));
    expect((await deliveries(id)).every((item) => item.status === 'delivered' && item.attempts.length === 1)).toBe(true);
    await deleteAll();
  });

  it('posts again, with the same ids, only the events whose outcome a stop left unrecorded', async () => {
    const { id } = await create('/stop');
    const batch = events(4);
    const stopped = batch[2]?.id ?? '';
    let posted = false;
    // The post of one event goes out and its answer comes, but the outcome is never recorded: the process stopped.
    hooks.set('/stop', async (request) => {
      const result = await httpsPoster(request);
      if (request.headers['webhook-id'] !== stopped || posted) return result;
      posted = true;
      return new Promise<PostResult>((resolve) => held.push(() => resolve(result)));
    });
    await h.publish(batch);
    const log = await until(() => deliveries(id), (items) => items.length === 4 && items.every((item) => item.status === 'delivered'));
    const counts = new Map<string, number>();
    for (const post of postsTo('/stop')) counts.set(post.id, (counts.get(post.id) ?? 0) + 1);
    for (const event of batch) expect(counts.get(event.id), event.id).toBe(event.id === stopped ? 2 : 1);
    const again = log.find((item) => item.eventId === stopped);
    expect(again?.attempts.map((attempt) => [attempt.attempt, attempt.statusCode, attempt.error])).toEqual([
      [1, null, 'no outcome was recorded (the attempt was interrupted)'],
      [2, 204, null],
    ]);
    hooks.delete('/stop');
    await deleteAll();
  });

  it('disables an endpoint that answers 410 mid-batch and posts none of the batch after it', async () => {
    const { id } = await create('/gone');
    receiver.answerWith(({ path }) => ({ status: path === '/gone' ? 410 : 204 }));
    const batch = events(20);
    await h.publish(batch);
    const log = await until(() => deliveries(id), (items) => allEnded(items, 20));
    const posted = postsTo('/gone');
    // Only the first wave (four posts at once) went out; each event once at most.
    expect(posted.length).toBeGreaterThanOrEqual(1);
    expect(posted.length).toBeLessThanOrEqual(4);
    expect(new Set(posted.map((post) => post.id)).size).toBe(posted.length);
    const postedIds = new Set(posted.map((post) => post.id));
    for (const item of log) {
      expect(item.status).toBe('failed');
      if (postedIds.has(item.eventId)) {
        expect(item.attempts.map((attempt) => attempt.statusCode)).toEqual([410]);
      } else {
        expect(item.attempts).toEqual([]);
        expect(item.failure).toContain('disabled');
      }
    }
    const endpoint = await call(h.host, 'GET', `${base}/${id}`, h.tokens.admin);
    expect(endpoint.body).toMatchObject({ enabled: false, disabledReason: expect.stringContaining('410 Gone') as unknown });
    receiver.answerWith(() => ({ status: 204 }));
    await deleteAll();
  });

  it("delivers another endpoint's batch while a slow endpoint holds every post of its own", async () => {
    const slow = await create('/slow');
    const fast = await create('/fast');
    const releases: (() => void)[] = [];
    hooks.set('/slow', (request) =>
      new Promise<PostResult>((resolve) => {
        const release = () => void httpsPoster(request).then(resolve);
        releases.push(release);
        held.push(release);
      }),
    );
    const batch = events(6);
    await h.publish(batch);
    const fastLog = await until(() => deliveries(fast.id), (items) => items.length === 6 && items.every((item) => item.status === 'delivered'));
    expect(fastLog).toHaveLength(6);
    // Meanwhile the slow endpoint has not answered one post: its events are still on their way.
    expect(postsTo('/slow')).toHaveLength(0);
    expect((await deliveries(slow.id)).some((item) => item.status === 'delivered')).toBe(false);
    hooks.delete('/slow');
    for (const release of releases) release();
    await until(() => deliveries(slow.id), (items) => items.length === 6 && items.every((item) => item.status === 'delivered'));
    await deleteAll();
  });
});

/**
 * The webhook endpoints of `npm run bench:events`, in a process of their own (as a customer's endpoints are), so the
 * bench's process spends its CPU on the connector: one healthy endpoint, and one that answers 500 to the first
 * attempt of half its events (chosen by event id), so those are retried on the real schedule.
 *
 * Run as a child of the bench (`startReceiverProcess`): it serves HTTPS with the local CA's certificate and reports
 * every delivery back over IPC, a few times a second, as the bench's `ReceivedDelivery` with the event reduced to
 * what the bench indexes (id, type, tenant, device, threat).
 */
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startWebhookReceiver, type ReceivedDelivery } from '../dev/webhookReceiver.js';

type EndpointName = 'healthy' | 'flaky';

interface ReceivedMessage {
  readonly kind: 'received';
  readonly deliveries: readonly (ReceivedDelivery & { readonly endpoint: EndpointName })[];
}
interface ReadyMessage {
  readonly kind: 'ready';
  readonly urls: Readonly<Record<EndpointName, string>>;
}

export interface ReceiverProcess {
  readonly endpoints: Readonly<Record<EndpointName, { readonly url: string; readonly received: ReceivedDelivery[] }>>;
  close(): Promise<void>;
}

/** Starts the endpoints' process and resolves once both listen. */
export async function startReceiverProcess(tls: { certFile: string; keyFile: string }): Promise<ReceiverProcess> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', tls.certFile, tls.keyFile], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const received: Record<EndpointName, ReceivedDelivery[]> = { healthy: [], flaky: [] };
  const urls = await new Promise<Readonly<Record<EndpointName, string>>>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the webhook endpoints' process exited (${code ?? 'signal'})`)));
    child.on('message', (message: ReadyMessage | ReceivedMessage) => {
      if (message.kind === 'ready') resolve(message.urls);
      else for (const { endpoint, ...delivery } of message.deliveries) received[endpoint].push(delivery);
    });
  });
  return {
    endpoints: { healthy: { url: urls.healthy, received: received.healthy }, flaky: { url: urls.flaky, received: received.flaky } },
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ kind: 'close' });
      await exited;
    },
  };
}

/** The part of an event the bench indexes, as JSON (the rest of the body stays in this process). */
function reduced(body: string): string {
  try {
    const event = JSON.parse(body) as { id?: unknown; type?: unknown; tenantId?: unknown; data?: { device?: { deviceId?: unknown }; threat?: { id?: unknown } } };
    return JSON.stringify({
      id: event.id,
      type: event.type,
      tenantId: event.tenantId,
      data: { device: { deviceId: event.data?.device?.deviceId }, threat: { id: event.data?.threat?.id } },
    });
  } catch {
    return '';
  }
}

async function serve(certFile: string, keyFile: string): Promise<void> {
  const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  const healthy = await startWebhookReceiver({ cert, key });
  const seenByFlaky = new Set<string>();
  const flaky = await startWebhookReceiver({
    cert,
    key,
    answer: ({ headers }) => {
      const id = headers['webhook-id'] ?? '';
      const first = !seenByFlaky.has(id);
      seenByFlaky.add(id);
      const unlucky = Number.parseInt(createHash('sha256').update(id).digest('hex').slice(0, 2), 16) % 2 === 0;
      return { status: first && unlucky ? 500 : 204 };
    },
  });
  const sent: Record<EndpointName, number> = { healthy: 0, flaky: 0 };
  const flush = (): void => {
    const deliveries: ReceivedMessage['deliveries'][number][] = [];
    for (const [endpoint, receiver] of [['healthy', healthy], ['flaky', flaky]] as const) {
      for (; sent[endpoint] < receiver.received.length; sent[endpoint] += 1) {
        const delivery = receiver.received[sent[endpoint]];
        if (delivery) deliveries.push({ endpoint, receivedAt: delivery.receivedAt, path: delivery.path, headers: {}, status: delivery.status, body: reduced(delivery.body) });
      }
    }
    if (deliveries.length > 0) process.send?.({ kind: 'received', deliveries } satisfies ReceivedMessage);
  };
  const timer = setInterval(flush, 100);
  process.on('message', (message: { kind?: string }) => {
    if (message.kind !== 'close') return;
    clearInterval(timer);
    flush();
    void Promise.all([healthy.close(), flaky.close()]).finally(() => process.disconnect());
  });
  process.send?.({ kind: 'ready', urls: { healthy: healthy.url, flaky: flaky.url } } satisfies ReadyMessage);
}

if (process.argv[2] === '--serve') await serve(process.argv[3] ?? '', process.argv[4] ?? '');

/**
 * A webhook receiver for local runs, the demo, the bench and tests: an HTTPS server (the local CA's certificate for
 * localhost and 127.0.0.1) that records every delivery and answers as told.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface ReceivedDelivery {
  readonly receivedAt: number;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** What the receiver answered (0: no answer, the connection was held past the sender's time-out). */
  readonly status: number;
}

export interface Answer {
  readonly status: number;
  /** Hold the answer this long (a slow endpoint). */
  readonly delayMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly port: number;
  readonly received: ReceivedDelivery[];
  /** Changes how later deliveries are answered. */
  answerWith(answer: (delivery: { index: number; path: string; headers: Readonly<Record<string, string>>; body: string }) => Answer): void;
  /** Resolves once `predicate` holds for the deliveries received (polling), or rejects after `timeoutMs`. */
  waitFor(predicate: (received: readonly ReceivedDelivery[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(options: {
  cert: Buffer | string;
  key: Buffer | string;
  port?: number;
  host?: string;
  answer?: (delivery: { index: number; path: string; headers: Readonly<Record<string, string>>; body: string }) => Answer;
}): Promise<WebhookReceiver> {
  const received: ReceivedDelivery[] = [];
  type Answerer = (delivery: { index: number; path: string; headers: Readonly<Record<string, string>>; body: string }) => Answer;
  let answer: Answerer = options.answer ?? (() => ({ status: 204 }));
  let index = 0;
  const server: Server = createServer({ cert: options.cert, key: options.key }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string') headers[name] = value;
      const path = request.url ?? '/';
      const reply = answer({ index: index++, path, headers, body });
      const send = (): void => {
        received.push({ receivedAt: Date.now(), path, headers, body, status: response.destroyed ? 0 : reply.status });
        if (response.destroyed) return;
        response.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
        response.end(reply.status < 300 ? 'ok' : 'no');
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs).unref();
      else send();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://localhost:${port}`,
    port,
    received,
    answerWith(next) {
      answer = next;
    },
    async waitFor(predicate, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) throw new Error(`the receiver did not see the expected deliveries within ${timeoutMs} ms (got ${received.length})`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

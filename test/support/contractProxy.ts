/**
 * A pass-through in front of a test host: every answer goes back to the caller unchanged and is also checked against
 * the OpenAPI document (openapiContract.ts). What the document does not describe is collected, for the stack to fail
 * the test with.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalHost } from '../../dev/host/server.js';
import type { OpenApiContract } from './openapiContract.js';

/** Hop-by-hop headers are the proxy's own on each side (RFC 9110 §7.6.1). */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !hopByHop.has(name)));
}

/**
 * `host` behind a checking proxy on `port` (0: a free one): the same host, with the proxy's URL and port; closing it
 * closes both.
 */
export async function checkedHost(host: LocalHost, contract: OpenApiContract, violations: string[], port: number): Promise<LocalHost> {
  const target = new URL(host.url);
  const server = createServer((incoming, outgoing) => {
    let answered = false;
    const upstream = httpRequest(
      {
        hostname: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...endToEnd(incoming.headers), host: target.host },
        // A fresh connection per request: a pooled one the host has just closed would fail the caller's request.
        agent: false,
      },
      (answer) => {
        answered = true;
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('close', () => {
          if (!answer.complete) outgoing.destroy();
        });
        answer.on('end', () => {
          const body = Buffer.concat(chunks);
          const status = answer.statusCode ?? 0;
          const path = new URL(incoming.url ?? '/', 'http://localhost').pathname;
          const problem = contract.check({ method: incoming.method ?? 'GET', path, status, headers: answer.headers, body });
          if (problem) violations.push(problem);
          const headers = endToEnd(answer.headers);
          // The host closes after refusing an unread body; the caller's connection closes the same way.
          if (answer.headers.connection === 'close') headers.connection = 'close';
          outgoing.writeHead(status, answer.statusMessage, headers);
          outgoing.end(body);
        });
      },
    );
    // The host may answer before it has read the whole body (413 at the route's limit) and close: once its answer
    // has arrived, a failed write of the rest changes nothing. The body goes in one write, as a caller's would.
    upstream.on('error', () => {
      if (!answered) outgoing.destroy();
    });
    const body: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => body.push(chunk));
    incoming.on('end', () => upstream.end(Buffer.concat(body)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const listening = (server.address() as AddressInfo).port;
  return {
    url: `http://localhost:${listening}`,
    port: listening,
    queues: host.queues,
    fireTimer: (name) => host.fireTimer(name),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await host.close();
    },
  };
}

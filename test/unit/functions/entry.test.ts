/**
 * The Azure Functions entry point as Azure loads it: the registrations it makes with @azure/functions, and what a
 * registered HTTP function does with a streamed body.
 */
import type * as azureFunctions from '@azure/functions';
import { HttpRequest, InvocationContext } from '@azure/functions';
import type { HttpHandler, HttpFunctionOptions, SetupOptions } from '@azure/functions';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { devSettings } from '../../../dev/devSettings.js';
import { azuriteConnectionString } from '../../support/tables.js';

const registered = vi.hoisted(() => ({ setup: [] as unknown[], http: new Map<string, unknown>() }));

vi.mock('@azure/functions', async (importOriginal) => {
  const actual = await importOriginal<typeof azureFunctions>();
  const app = {
    setup: (options: SetupOptions) => registered.setup.push(options),
    http: (name: string, options: HttpFunctionOptions) => registered.http.set(name, options),
    timer: () => undefined,
    serviceBusQueue: () => undefined,
  };
  return { ...actual, app, default: { ...actual, app } };
});

beforeAll(async () => {
  const settings = devSettings({ env: {}, simUrl: 'https://localhost:9', storage: azuriteConnectionString(), port: 0 });
  for (const [name, value] of Object.entries(settings)) vi.stubEnv(name, value);
  await import('../../../functions/index.js');
});

describe('functions/index.ts', () => {
  it('asks the host to stream request bodies instead of buffering them', () => {
    expect(registered.setup).toEqual([expect.objectContaining({ enableHttpStream: true })]);
  });

  it('answers an oversized streamed device body without reading it past the route limit', async () => {
    const options = registered.http.get('deviceHeartbeat') as HttpFunctionOptions | undefined;
    expect(options).toBeDefined();
    let pulled = 0;
    const chunk = new Uint8Array(16 * 1024).fill(0x20);
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const nativeRequest = new Request('http://localhost/api/v1/device/heartbeat', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: endless,
      duplex: 'half',
    });
    const request = new HttpRequest({ method: 'POST', url: nativeRequest.url, nativeRequest } as ConstructorParameters<typeof HttpRequest>[0]);
    const context = new InvocationContext({ functionName: 'deviceHeartbeat' });
    const handler: HttpHandler = (options as HttpFunctionOptions).handler;
    const result = await handler(request, context);
    expect([401, 413]).toContain(result.status);
    expect(pulled).toBeLessThanOrEqual(64 * 1024 + 4 * chunk.byteLength);
  });
});

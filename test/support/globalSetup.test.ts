import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { TableServiceClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set by the global setup`);
  return value;
}

describe('global test setup as seen from a forked worker', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const [cert, key] = await Promise.all([
      readFile(requiredEnv('TEST_TLS_CERT_FILE')),
      readFile(requiredEnv('TEST_TLS_KEY_FILE')),
    ]);
    server = createServer({ cert, key }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('trusted');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    url = `https://localhost:${port}/`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('runs in a forked child process that inherited the environment', () => {
    expect(process.env.VITEST_POOL_ID).toBeDefined();
    expect(typeof process.send).toBe('function');
    expect(requiredEnv('NODE_EXTRA_CA_CERTS')).toMatch(/\.pem$|\.crt$/);
  });

  it('reaches the shared Azurite through AZURITE_CONNECTION_STRING', async () => {
    const service = TableServiceClient.fromConnectionString(requiredEnv('AZURITE_CONNECTION_STRING'), {
      allowInsecureConnection: true,
    });
    const name = `Probe${Math.random().toString(36).slice(2, 10)}`;
    await service.createTable(name);
    const names: string[] = [];
    for await (const table of service.listTables({ queryOptions: { filter: `TableName eq '${name}'` } })) {
      if (table.name !== undefined) names.push(table.name);
    }
    expect(names).toEqual([name]);
    await service.deleteTable(name);
  });

  it("trusts the local CA in this worker's fetch, with no custom agent", async () => {
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('trusted');
  });

  it('is the CA that makes it trusted: a process started without NODE_EXTRA_CA_CERTS refuses the server', async () => {
    const script = `fetch(${JSON.stringify(url)}).then(() => process.exit(0), (e) => { console.log(String(e.cause?.code ?? e)); process.exit(3); })`;
    const withoutCa = { ...process.env };
    delete withoutCa.NODE_EXTRA_CA_CERTS;
    const outcome = await run(process.execPath, ['-e', script], { env: withoutCa }).then(
      () => 'accepted',
      (error: { code?: unknown; stdout?: unknown }) => `exit ${String(error.code)}: ${String(error.stdout).trim()}`,
    );
    expect(outcome).toMatch(/^exit 3: .*(SELF_SIGNED|UNABLE_TO|CERT)/);

    const withCa = await run(process.execPath, ['-e', script], { env: process.env }).then(
      () => 'accepted',
      () => 'refused',
    );
    expect(withCa).toBe('accepted');
  });
});

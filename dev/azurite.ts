/**
 * Starts the locally installed Azurite Table service as a child process on 127.0.0.1 and a free port.
 * Used by the test globalSetup (in memory) and by the dev host (persisted under a folder).
 * Free of test-framework imports so plain `tsx` scripts can use it.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { connect, createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';

export interface AzuriteOptions {
  /** Keep all data in memory (tests). Otherwise data is persisted under `location`. */
  inMemory?: boolean;
  /** Workspace folder when not in memory; created if missing. Defaults to `.local/azurite`. */
  location?: string;
  /** A fixed port; by default a free one is chosen. */
  port?: number;
}

export interface AzuriteHandle {
  port: number;
  connectionString: string;
  stop(): Promise<void>;
}

const host = '127.0.0.1';
const accountName = 'devstoreaccount1';
/** The well-known, publicly documented Azurite development account key. */
const accountKey = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function azuriteConnectionString(port: number): string {
  return (
    `DefaultEndpointsProtocol=http;AccountName=${accountName};AccountKey=${accountKey};` +
    `TableEndpoint=http://${host}:${port}/${accountName};`
  );
}

/** Finds a free TCP port by listening on port 0 and closing again. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not determine a free port'));
        return;
      }
      const { port } = address;
      server.close(() => resolvePort(port));
    });
  });
}

const azuritePackage = z.object({ bin: z.object({ 'azurite-table': z.string() }) });

/** The `azurite-table` entry point of the installed azurite package, run with this Node. */
function azuriteTableBin(): string {
  const require = createRequire(import.meta.url);
  const packageJsonPath = require.resolve('azurite/package.json');
  const packageJson = azuritePackage.parse(JSON.parse(readFileSync(packageJsonPath, 'utf8')));
  return join(dirname(packageJsonPath), packageJson.bin['azurite-table']);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolveConnect) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolveConnect(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolveConnect(false);
    });
  });
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveExit) => child.once('exit', () => resolveExit()));
}

/**
 * Runs the Azurite entry point (argv[1]) and ties its life to ours: when our end of its stdin closes, because we
 * stopped it or died without cleaning up, it shuts down instead of lingering on its port.
 */
const supervisedEntry = `
let stopping = false;
process.stdin.on('error', () => {});
process.stdin.once('close', () => { if (!stopping) process.kill(process.pid, 'SIGINT'); });
process.stdin.resume();
// Stays registered: a second SIGINT (Ctrl-C reaches the whole process group, then stop() sends one) must not
// find no handler left and kill the process before Azurite has saved its workspace.
process.on('SIGINT', () => {
  if (stopping) return;
  stopping = true;
  process.stdin.destroy();
  setTimeout(() => process.exit(0), 3000).unref();
});
require(process.argv[1]);
`;

export async function startAzurite(options: AzuriteOptions = {}): Promise<AzuriteHandle> {
  const port = options.port ?? (await freePort());
  const args = [
    '-e',
    supervisedEntry,
    azuriteTableBin(),
    '--tableHost',
    host,
    '--tablePort',
    String(port),
    '--disableTelemetry',
    '--skipApiVersionCheck',
    '--loose',
    '--silent',
  ];
  if (options.inMemory) {
    args.push('--inMemoryPersistence');
  } else {
    const location = resolve(options.location ?? '.local/azurite');
    await mkdir(location, { recursive: true });
    args.push('--location', location);
  }

  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = waitForExit(child);

  const stop = async (): Promise<void> => {
    // SIGINT is Azurite's graceful shutdown (it flushes a persisted workspace).
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`azurite-table exited before listening on port ${port}:\n${output}`);
    }
    if (await canConnect(port)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`azurite-table did not listen on port ${port} within 30 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return { port, connectionString: azuriteConnectionString(port), stop };
}

/**
 * `npm run dev` for real: dev/start.ts in its own process (Azurite, the simulator and the host child), answering
 * GET /api/health within 30 s, stopping cleanly on SIGINT, and finding its data again on the next start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TableClient } from '@azure/data-tables';
import { afterAll, describe, expect, it } from 'vitest';
import { azuriteConnectionString, freePort } from '../../../dev/azurite.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const startupLimitMs = 30_000;

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

const running: Run[] = [];
let dataDir = '';

afterAll(async () => {
  for (const run of running) {
    if (run.child.exitCode === null && run.child.signalCode === null && run.child.pid !== undefined) {
      // The process group: the wrapper, start.ts, Azurite and the host child.
      try {
        process.kill(-run.child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function start(env: NodeJS.ProcessEnv): Run {
  // What `npm run dev` runs: Node with tsx's loader, so Ctrl-C (SIGINT) reaches dev/start.ts itself.
  const child = spawn(process.execPath, ['--import', 'tsx', 'dev/start.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const run = { child, output: () => output, exited };
  running.push(run);
  return run;
}

async function waitForHealth(run: Run, url: string): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < startupLimitMs) {
    if (run.child.exitCode !== null) throw new Error(`npm run dev exited with ${run.child.exitCode}:\n${run.output()}`);
    try {
      const reply = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2_000) });
      if (reply.status === 200) return Date.now() - started;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`GET /api/health did not answer within ${startupLimitMs} ms:\n${run.output()}`);
}

async function stop(run: Run): Promise<number | null> {
  run.child.kill('SIGINT');
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 20_000));
  const result = await Promise.race([run.exited, timeout]);
  if (result === 'timeout') throw new Error(`npm run dev did not stop within 20 s after SIGINT:\n${run.output()}`);
  return result;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('npm run dev', () => {
  it('starts within 30 s, stops on SIGINT, and keeps its data across a restart', { timeout: 150_000 }, async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mtd-dev-start-'));
    const [port, simPort, azuritePort] = [await freePort(), await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of [
      'AzureWebJobsStorage',
      'ENTRA_AUTHORITY_HOST',
      'GRAPH_BASE_URL',
      'INTUNE_PARTNER_API_BASE_URL',
      'SENDGRID_API_BASE_URL',
      'SIM_SCENARIO',
      'DEV_FUNCTION_KEY',
    ]) {
      delete env[name];
    }
    Object.assign(env, {
      DEV_DATA_DIR: dataDir,
      PORT: String(port),
      SIM_PORT: String(simPort),
      AZURITE_PORT: String(azuritePort),
      SIM_QUIET: '1',
    });
    const url = `http://localhost:${port}`;

    // First run: answers, then gets data written through Azurite directly and through the host's queue.
    const first = start(env);
    const firstStartup = await waitForHealth(first, url);
    expect(firstStartup).toBeLessThan(startupLimitMs);
    const table = TableClient.fromConnectionString(azuriteConnectionString(azuritePort), 'devStartPersistence', {
      allowInsecureConnection: true,
    });
    await table.createTable();
    await table.upsertEntity({ partitionKey: 'run', rowKey: 'first', note: 'written in the first run' });
    const later = new Date(Date.now() + 24 * 3600 * 1000).toISOString();
    const sent = await fetch(`${url}/_dev/queues/dev-start-test/messages`, {
      method: 'POST',
      headers: { 'x-functions-key': 'dev', 'content-type': 'application/json' },
      body: JSON.stringify({ messageId: 'tomorrow', body: { kept: true }, scheduledEnqueueTimeUtc: later }),
    });
    expect(sent.status).toBe(202);

    expect(await stop(first)).toBe(0);
    expect(first.output()).toContain('dev: stopped');
    expect(await listening(port)).toBe(false);
    expect(await listening(azuritePort)).toBe(false);

    // Second run: the row and the scheduled message are still there.
    const second = start(env);
    await waitForHealth(second, url);
    const row = await table.getEntity<{ note: string }>('run', 'first');
    expect(row.note).toBe('written in the first run');
    const queue = await fetch(`${url}/_dev/queues/dev-start-test`, { headers: { 'x-functions-key': 'dev' } });
    expect(queue.status).toBe(200);
    const state = (await queue.json()) as { scheduled: { messageId: string; body: unknown }[] };
    expect(state.scheduled).toEqual([expect.objectContaining({ messageId: 'tomorrow', body: { kept: true } })]);

    expect(await stop(second)).toBe(0);
  });
});

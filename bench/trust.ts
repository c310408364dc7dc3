/**
 * The simulated tenant serves TLS with a local CA, which Node trusts only through NODE_EXTRA_CA_CERTS, read at
 * start-up: unless this process already names that CA, a bench runs itself again with it set.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { ensureLocalCa } from '../dev/sim/tls.js';

/** True when this process trusts the CA; false after running the bench again in a child (its exit code is ours). */
export async function ensureBenchTrust(tlsDir = resolve(process.env.BENCH_TLS_DIR ?? '.local/tls')): Promise<boolean> {
  const tls = await ensureLocalCa(tlsDir);
  if (process.env.NODE_EXTRA_CA_CERTS === tls.caCertFile) return true;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: tls.caCertFile },
  });
  process.exitCode = await new Promise<number>((done) => child.on('exit', (code) => done(code ?? 1)));
  return false;
}

/**
 * `npm run openapi:lint` (part of `npm run lint`): writes the OpenAPI document, built in-process from the catalog as
 * /api/openapi.json serves it, to a temporary file and lints it with Redocly CLI's recommended rules (redocly.yaml,
 * which gives the reason for each rule turned off). Any error or warning fails.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { openApiDocument } from './openapiClient.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const redocly = join(root, 'node_modules', '.bin', 'redocly');

const reportSchema = z.object({
  totals: z.object({ errors: z.number(), warnings: z.number() }),
  problems: z.array(
    z.object({
      ruleId: z.string(),
      severity: z.string(),
      message: z.string(),
      location: z.array(z.object({ pointer: z.string().optional() })),
    }),
  ),
});

function lint(file: string): z.output<typeof reportSchema> {
  const run = spawnSync(redocly, ['lint', file, '--config', join(root, 'redocly.yaml'), '--max-problems', '1000', '--format', 'json'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  });
  const report = reportSchema.safeParse(safeJson(run.stdout));
  if (!report.success) throw new Error(`redocly lint did not report (exit ${String(run.status)}): ${run.stderr}`);
  return report.data;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'mtd-openapi-'));
  try {
    const file = join(dir, 'openapi.json');
    await writeFile(file, `${JSON.stringify(openApiDocument(), null, 2)}\n`);
    const { totals, problems } = lint(file);
    for (const problem of problems) {
      console.log(`${problem.severity} ${problem.ruleId} at ${problem.location[0]?.pointer ?? '#'}: ${problem.message}`);
    }
    if (totals.errors + totals.warnings > 0) {
      console.error(`openapi:lint: ${totals.errors} error(s) and ${totals.warnings} warning(s) in the OpenAPI document.`);
      return 1;
    }
    console.log('openapi:lint: the OpenAPI document passes Redocly\'s recommended rules (redocly.yaml).');
    return 0;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);

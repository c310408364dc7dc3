import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { catalog } from '../../../functions/catalog.js';
import { registeredAuthLevel } from '../../../functions/handlers.js';
import { settingDefault } from '../../../shared/base/config.js';
import { serviceVersion } from '../../../shared/base/version.js';
import { isValidNcrontab } from '../../../dev/host/timerSchedule.js';

describe('function catalog', () => {
  it('has unique function names', () => {
    const names = catalog.map((entry) => entry.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('has unique method + route pairs', () => {
    const pairs = catalog.flatMap((entry) =>
      entry.kind === 'http' ? [`${entry.route.method} ${entry.route.route.toLowerCase()}`] : [],
    );
    expect(new Set(pairs).size).toBe(pairs.length);
  });

  it('has no route starting with admin or runtime (Azure Functions rejects them)', () => {
    for (const entry of catalog) {
      if (entry.kind !== 'http') continue;
      expect(entry.route.route).not.toMatch(/^\/?(admin|runtime)(\/|$)/i);
    }
  });

  it('protects provider routes with the function key and leaves the others to their own authentication', () => {
    for (const entry of catalog) {
      if (entry.kind !== 'http') continue;
      expect(entry.authLevel).toBe(entry.route.security === 'functionKey' || entry.route.security === 'provider' ? 'function' : 'anonymous');
      if (entry.route.route.startsWith('v1/provider/')) expect(entry.authLevel).toBe('function');
    }
  });

  it('registers provider routes anonymous only where the service checks the provider key itself', () => {
    const key = { PROVIDER_FUNCTION_KEY: 'k'.repeat(32) };
    for (const entry of catalog) {
      if (entry.kind !== 'http') continue;
      expect(registeredAuthLevel(entry, { PROVIDER_FUNCTION_KEY: undefined })).toBe(entry.authLevel);
      const provider = entry.route.route.startsWith('v1/provider/');
      expect(registeredAuthLevel(entry, key)).toBe(provider ? 'anonymous' : entry.authLevel);
    }
  });

  it('gives every timer a valid 6-field NCRONTAB schedule, directly or as a %SETTING% whose default is one', () => {
    const timers = catalog.filter((entry) => entry.kind === 'timer');
    for (const timer of timers) {
      const setting = /^%([A-Za-z0-9_]+)%$/.exec(timer.schedule)?.[1];
      const expression = setting ? settingDefault(setting) : timer.schedule;
      expect(expression, `${timer.name}: ${timer.schedule}`).toBeDefined();
      expect(isValidNcrontab(expression ?? ''), `${timer.name}: ${expression}`).toBe(true);
    }
  });

  it('reads every queue by one function: compliance-updates, device-slices and webhook-deliveries in batches, tenant-jobs one message at a time', () => {
    const queues = catalog.flatMap((entry) => (entry.kind === 'serviceBusQueue' ? [[entry.queueName, entry.cardinality]] : []));
    expect(new Set(queues.map(([name]) => name)).size).toBe(queues.length);
    expect(queues.sort()).toEqual([
      ['compliance-updates', 'many'],
      ['device-slices', 'many'],
      ['tenant-jobs', 'one'],
      ['webhook-deliveries', 'many'],
    ]);
  });
});

describe('packaging', () => {
  it('reports the version of package.json', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string; main: string };
    expect(serviceVersion).toBe(pkg.version);
    expect(pkg.main).toBe('dist/functions/index.js');
  });

  it('compiles no test, dev or bench file into the deployed build', () => {
    const files = execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--listFilesOnly'], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter((file) => file.trim() !== '' && !file.includes('/node_modules/'));
    expect(files.some((file) => file.includes('/functions/index.ts'))).toBe(true);
    expect(files.filter((file) => /\/(test|dev|bench)\//.test(file) || file.endsWith('.test.ts'))).toEqual([]);
  });
});

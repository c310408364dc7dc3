/**
 * The console's API types (web/src/api/schema.ts) are generated from the OpenAPI document the service serves; this
 * fails when a route or schema changed and the file was not generated again.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { apiSchemaSource, openApiDocument, schemaFile } from '../../../dev/openapiClient.js';

function firstDifference(current: string, expected: string): string {
  const have = current.split('\n');
  const want = expected.split('\n');
  const line = want.findIndex((text, index) => have[index] !== text);
  if (line === -1) return `the file has ${have.length - want.length} extra line(s) at the end`;
  return `line ${line + 1} is ${JSON.stringify(have[line] ?? '(missing)')}, expected ${JSON.stringify(want[line])}`;
}

describe('the console API client', () => {
  it('is generated from the current OpenAPI document', async () => {
    const expected = await apiSchemaSource();
    const current = await readFile(schemaFile, 'utf8').catch(() => '');
    if (current !== expected) {
      expect.fail(`web/src/api/schema.ts is not current (${firstDifference(current, expected)}): run npm run gen:api`);
    }
  }, 60_000);

  it('covers every console route and the event feed', () => {
    const document = openApiDocument().paths;
    const paths = typeof document === 'object' && document !== null ? Object.keys(document) : [];
    expect(paths).toContain('/api/v1/console/me');
    expect(paths).toContain('/api/v1/events');
    expect(paths.filter((path) => path.startsWith('/api/v1/console/')).length).toBeGreaterThan(15);
  });
});

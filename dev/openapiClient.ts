/**
 * `npm run gen:api`: writes web/src/api/schema.ts, the console's API types, from the OpenAPI document the service
 * serves at /api/openapi.json (built here in-process from the catalog's routes, so no server needs to run). The
 * console's typed client (openapi-fetch) reads its paths, parameters, bodies and answers from that file; a unit test
 * (test/unit/web/generatedClient.test.ts) fails when the checked-in file differs from what this writes.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import { catalog } from '../functions/catalog.js';
import { openApiInfo } from '../functions/openApi.js';
import { buildOpenApiDocument } from '../shared/http/openapi.js';
import { configSchema } from '../shared/base/config.js';

/** Where the console keeps its generated API types. */
export const schemaFile = fileURLToPath(new URL('../web/src/api/schema.ts', import.meta.url));

const header = `/**
 * The console API's types, generated from the service's OpenAPI document by \`npm run gen:api\` (dev/openapiClient.ts).
 * Do not edit: change the routes' schemas on the server and run \`npm run gen:api\` again.
 */
`;

/**
 * The OpenAPI document of every HTTP route in the catalog, as /api/openapi.json serves it; its server is
 * `serverUrl`, else PUBLIC_BASE_URL (default http://localhost:7071).
 */
export function openApiDocument(serverUrl?: string): Record<string, unknown> {
  const routes = catalog.flatMap((entry) => (entry.kind === 'http' ? [entry.route] : []));
  // Only this setting matters here, so the others need not be set.
  const url = serverUrl ?? configSchema.in.shape.PUBLIC_BASE_URL.parse(process.env.PUBLIC_BASE_URL);
  return buildOpenApiDocument(routes, openApiInfo(url));
}

/**
 * The text of web/src/api/schema.ts. Paths and properties are sorted, so the text depends on the routes and their
 * schemas only, not on the order the catalog lists them in.
 */
export async function apiSchemaSource(): Promise<string> {
  const ast = await openapiTS(JSON.stringify(openApiDocument()), { alphabetize: true, silent: true });
  const body = astToString(ast)
    .replace(/\r\n/g, '\n')
    // The printer indents by four spaces; the repository's TypeScript uses two.
    .replace(/^(?: {4})+/gm, (indent) => ' '.repeat(indent.length / 2))
    .trimEnd();
  return `${header}\n${body}\n`;
}

async function main(): Promise<void> {
  const source = await apiSchemaSource();
  const current = await readFile(schemaFile, 'utf8').catch(() => '');
  if (current === source) {
    console.log('web/src/api/schema.ts is current.');
    return;
  }
  await writeFile(schemaFile, source);
  console.log('Wrote web/src/api/schema.ts.');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}

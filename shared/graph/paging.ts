/**
 * Graph collections page by page: follows `@odata.nextLink` until the last page, each page checked with zod.
 */
import type { Client, GraphRequest } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import { GraphError } from './graphError.js';

const pageSchema = z.looseObject({
  value: z.array(z.unknown()),
  '@odata.nextLink': z.string().optional(),
  '@odata.deltaLink': z.string().optional(),
  '@odata.count': z.number().optional(),
});

export interface GraphPage<T> {
  readonly items: T[];
  /** Present on the last page of a delta query. */
  readonly deltaLink?: string;
  /** `@odata.count` when requested (`$count=true`). */
  readonly count?: number;
}

/**
 * Iterates the pages of a collection. `first` is a path or full URL (for `client.api`) or a prepared request
 * (headers such as `ConsistencyLevel` set by the caller apply to the first page only, so pass `headers` to keep them).
 * Items are parsed with `itemSchema`; a page that does not match is a `GraphError` (`ERR_GRAPH_REQUEST`, status 200).
 */
export async function* pages<S extends z.ZodType>(
  client: Client,
  first: string | GraphRequest,
  itemSchema: S,
  options: { headers?: Record<string, string>; maxPages?: number } = {},
): AsyncGenerator<GraphPage<z.output<S>>> {
  let request: GraphRequest = typeof first === 'string' ? client.api(first) : first;
  const maxPages = options.maxPages ?? Number.POSITIVE_INFINITY;
  for (let pageNumber = 1; ; pageNumber += 1) {
    if (options.headers) request = request.headers(options.headers);
    const raw: unknown = await request.get();
    const page = pageSchema.safeParse(raw);
    if (!page.success) {
      throw new GraphError('ERR_GRAPH_REQUEST', 200, `A Graph collection page did not have the expected shape: ${page.error.message}`);
    }
    const items = z.array(itemSchema).safeParse(page.data.value);
    if (!items.success) {
      throw new GraphError('ERR_GRAPH_REQUEST', 200, `A Graph collection item did not have the expected shape: ${items.error.message}`);
    }
    const nextLink = page.data['@odata.nextLink'];
    yield {
      items: items.data,
      ...(page.data['@odata.deltaLink'] !== undefined ? { deltaLink: page.data['@odata.deltaLink'] } : {}),
      ...(page.data['@odata.count'] !== undefined ? { count: page.data['@odata.count'] } : {}),
    };
    if (!nextLink || pageNumber >= maxPages) return;
    request = client.api(nextLink);
  }
}

/** Every item of a collection (small collections only: everything is held in memory). */
export async function listAllItems<S extends z.ZodType>(
  client: Client,
  first: string | GraphRequest,
  itemSchema: S,
  options: { headers?: Record<string, string>; maxPages?: number } = {},
): Promise<z.output<S>[]> {
  const all: z.output<S>[] = [];
  for await (const page of pages(client, first, itemSchema, options)) all.push(...page.items);
  return all;
}

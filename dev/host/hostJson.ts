/** The parts of host.json the local host honours: the HTTP route prefix and the Service Bus batch size and concurrency. */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const hostJsonSchema = z.object({
  extensions: z
    .object({
      http: z.object({ routePrefix: z.string().optional() }).optional(),
      serviceBus: z
        .object({ maxMessageBatchSize: z.number().int().positive().optional(), maxConcurrentCalls: z.number().int().positive().optional() })
        .optional(),
    })
    .optional(),
});

export interface HostJsonSettings {
  readonly routePrefix: string;
  readonly maxMessageBatchSize: number;
  /** Calls in flight at once of a single-message (`cardinality: 'one'`) queue function. */
  readonly maxConcurrentCalls: number;
}

export const hostJsonFile = new URL('../../host.json', import.meta.url);

export function readHostJson(file: URL | string = hostJsonFile): HostJsonSettings {
  let data: unknown = {};
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    // No host.json (or unreadable): the Functions defaults.
  }
  const parsed = hostJsonSchema.safeParse(data);
  const extensions = parsed.success ? parsed.data.extensions : undefined;
  return {
    routePrefix: extensions?.http?.routePrefix ?? 'api',
    maxMessageBatchSize: extensions?.serviceBus?.maxMessageBatchSize ?? 100,
    maxConcurrentCalls: extensions?.serviceBus?.maxConcurrentCalls ?? 16,
  };
}

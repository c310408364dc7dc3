/**
 * Every function of the app, listed once. `index.ts` registers these with @azure/functions; the local host (dev/)
 * serves the same list. Each handler factory receives the process's services.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext, Timer } from '@azure/functions';
import type { RouteSpec } from '../shared/http/route.js';
import type { Services } from '../shared/services.js';
export { complianceQueueName } from '../shared/compliance/nudges.js';
import { health, healthRoute } from './health.js';
import { openApi, openApiRoute } from './openApi.js';

export type HttpFunctionHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;
export type TimerFunctionHandler = (timer: Timer, context: InvocationContext) => Promise<void>;
/** With `cardinality: 'many'`, the bodies of a batch of messages; metadata arrays are in `context.triggerMetadata`. */
export type QueueFunctionHandler = (messages: unknown[], context: InvocationContext) => Promise<void>;

export interface HttpFunction {
  readonly kind: 'http';
  readonly name: string;
  readonly route: RouteSpec;
  readonly authLevel: 'anonymous' | 'function';
  readonly handler: (services: Services) => HttpFunctionHandler;
}

export interface TimerFunction {
  readonly kind: 'timer';
  readonly name: string;
  /** A 6-field NCRONTAB expression or `%SETTING%`. */
  readonly schedule: string;
  readonly handler: (services: Services) => TimerFunctionHandler;
}

export interface QueueFunction {
  readonly kind: 'serviceBusQueue';
  readonly name: string;
  readonly queueName: string;
  /** App-setting prefix of the Service Bus connection. */
  readonly connection: string;
  readonly cardinality: 'many';
  readonly handler: (services: Services) => QueueFunctionHandler;
}

export type CatalogEntry = HttpFunction | TimerFunction | QueueFunction;

export const serviceBusConnection = 'ServiceBusConnection';

const http = (
  name: string,
  route: RouteSpec,
  handler: (services: Services) => HttpFunctionHandler,
  authLevel: 'anonymous' | 'function' = route.security === 'functionKey' ? 'function' : 'anonymous',
): HttpFunction => ({ kind: 'http', name, route, authLevel, handler });

export const catalog: readonly CatalogEntry[] = [
  http('health', healthRoute, health),
  http('openApi', openApiRoute, () => openApi(() => httpRoutes())),
];

export function httpRoutes(): RouteSpec[] {
  return catalog.filter((entry): entry is HttpFunction => entry.kind === 'http').map((entry) => entry.route);
}

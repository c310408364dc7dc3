/**
 * What a function of the app is: its trigger, the handler it runs and the level it is registered with. Each function
 * file exports a handler factory of one of these shapes; catalog.ts lists them, and index.ts (Azure) and dev/host
 * register that list.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext, Timer } from '@azure/functions';
import type { RouteSpec } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';
import type { Config } from '../shared/base/config.js';

export type HttpFunctionHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;
export type TimerFunctionHandler = (timer: Timer, context: InvocationContext) => Promise<void>;
/**
 * With `cardinality: 'many'`, the bodies of a batch of messages (metadata arrays in `context.triggerMetadata`); with
 * `'one'`, a list of the one message (metadata as single values).
 */
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
  /** `many`: batches (metadata arrays in `triggerMetadata`); `one`: one message per invocation, several at once. */
  readonly cardinality: 'many' | 'one';
  readonly handler: (services: Services) => QueueFunctionHandler;
}

export type CatalogEntry = HttpFunction | TimerFunction | QueueFunction;

/** App-setting prefix of the Service Bus connection the queue functions bind (`ServiceBusConnection__*`). */
export const serviceBusConnection = 'ServiceBusConnection';

/**
 * An HTTP function. Function-key and provider routes are `function` level (the host checks its keys); the others
 * authenticate the caller themselves and are `anonymous` at the host.
 */
export function httpFunction(name: string, route: RouteSpec, handler: (services: Services) => HttpFunctionHandler): HttpFunction {
  const authLevel = route.security === 'functionKey' || route.security === 'provider' ? 'function' : 'anonymous';
  return { kind: 'http', name, route, authLevel, handler };
}

/** A timer function; `schedule` is a 6-field NCRONTAB expression or `%SETTING%`. */
export function timerFunction(name: string, schedule: string, handler: (services: Services) => TimerFunctionHandler): TimerFunction {
  return { kind: 'timer', name, schedule, handler };
}

/** A function triggered by a Service Bus queue, over the app's one Service Bus connection. */
export function queueFunction(
  name: string,
  queueName: string,
  cardinality: 'many' | 'one',
  handler: (services: Services) => QueueFunctionHandler,
): QueueFunction {
  return { kind: 'serviceBusQueue', name, queueName, connection: serviceBusConnection, cardinality, handler };
}

/**
 * The level an HTTP function is registered with at the Functions host. Provider routes are `function` level (the host
 * checks its keys) unless the service checks the provider key itself (`PROVIDER_FUNCTION_KEY`, set with
 * `PROVIDER_TENANT_ID`): then they are anonymous at the host, so a provider support token can reach them, and
 * shared/auth/provider.ts accepts the key or the token.
 */
export function registeredAuthLevel(entry: HttpFunction, config: Pick<Config, 'PROVIDER_FUNCTION_KEY'>): 'anonymous' | 'function' {
  return entry.route.security === 'provider' && config.PROVIDER_FUNCTION_KEY !== undefined ? 'anonymous' : entry.authLevel;
}

/**
 * One operation id across the hops: a timer tick or HTTP request starts an operation (a W3C trace id), the queue
 * message carries it as `traceparent`, and the queue function continues it, so its Graph and storage calls belong to
 * the same operation.
 * - In Azure (APPLICATIONINSIGHTS_CONNECTION_STRING set) `enableAzureMonitor` starts OpenTelemetry through
 *   @azure/monitor-opentelemetry; each operation is then an active span (child of the remote parent it came with), and
 *   the distro's HTTP instrumentation puts the Graph and storage calls under it.
 * - Everywhere, the operation is kept in an AsyncLocalStorage, so log lines (`operationLabel`) name it locally too:
 *   `op=<trace id> tenant=<id> job=<kind> msg=<message id>`. Never tokens or secrets.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { context as otelContext, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';

export interface Operation {
  /** 32 hex digits: the operation id. */
  readonly traceId: string;
  /** 16 hex digits: this hop. */
  readonly spanId: string;
  readonly tenantId?: string;
  readonly job?: string;
  readonly messageId?: string;
}

const storage = new AsyncLocalStorage<Operation>();
const traceparentPattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
const tracer = () => trace.getTracer('mtd-connector');

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

/** The W3C `traceparent` of an operation. */
export function traceparentOf(operation: Pick<Operation, 'traceId' | 'spanId'>): string {
  return `00-${operation.traceId}-${operation.spanId}-01`;
}

/** Parses a `traceparent`; undefined when absent or malformed. */
export function parseTraceparent(value: string | undefined): { traceId: string; spanId: string } | undefined {
  const match = value ? traceparentPattern.exec(value.trim().toLowerCase()) : null;
  if (!match?.[1] || !match[2] || /^0+$/.test(match[1])) return undefined;
  return { traceId: match[1], spanId: match[2] };
}

/** The operation the caller runs in, if any. */
export function currentOperation(): Operation | undefined {
  return storage.getStore();
}

/** The `traceparent` to carry into a message sent from here (a fresh operation when none is running). */
export function currentTraceparent(): string {
  const operation = currentOperation();
  return traceparentOf(operation ?? { traceId: hex(16), spanId: hex(8) });
}

/** `op=… tenant=… job=… msg=…` for log lines. */
export function operationLabel(operation: Operation | undefined = currentOperation()): string {
  if (!operation) return '';
  return [
    `op=${operation.traceId}`,
    operation.tenantId ? `tenant=${operation.tenantId}` : '',
    operation.job ? `job=${operation.job}` : '',
    operation.messageId ? `msg=${operation.messageId}` : '',
  ]
    .filter((part) => part !== '')
    .join(' ');
}

export interface OperationInit {
  /** Continue this operation (a message's `traceparent`); otherwise the current one, or a new one. */
  readonly traceparent?: string | undefined;
  readonly tenantId?: string;
  readonly job?: string;
  readonly messageId?: string;
}

/**
 * Runs `work` as one hop of an operation: a span named `name` when OpenTelemetry is on, and the operation in the
 * async context either way. A thrown error marks the span failed and is rethrown.
 */
export function withOperation<T>(name: string, init: OperationInit, work: (operation: Operation) => Promise<T>): Promise<T> {
  const parent = parseTraceparent(init.traceparent) ?? currentOperation();
  const operation: Operation = {
    traceId: parent?.traceId ?? hex(16),
    spanId: hex(8),
    ...(init.tenantId ? { tenantId: init.tenantId } : {}),
    ...(init.job ? { job: init.job } : {}),
    ...(init.messageId ? { messageId: init.messageId } : {}),
  };
  const parentContext = parent
    ? trace.setSpanContext(otelContext.active(), {
        traceId: parent.traceId,
        spanId: parent.spanId,
        traceFlags: TraceFlags.SAMPLED,
        isRemote: true,
      })
    : otelContext.active();
  const attributes = {
    ...(init.tenantId ? { 'mtd.tenant_id': init.tenantId } : {}),
    ...(init.job ? { 'mtd.job': init.job } : {}),
    ...(init.messageId ? { 'messaging.message.id': init.messageId } : {}),
  };
  return tracer().startActiveSpan(name, { attributes }, parentContext, (span) => {
    // With OpenTelemetry on, the span's own ids are the operation's (same trace id as the parent).
    const spanContext = span.spanContext();
    const effective: Operation =
      span.isRecording() && spanContext.traceId === operation.traceId ? { ...operation, spanId: spanContext.spanId } : operation;
    return storage
      .run(effective, () => work(effective))
      .then(
        (value) => {
          span.end();
          return value;
        },
        (error: unknown) => {
          span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message.slice(0, 200) : 'failed' });
          span.end();
          throw error;
        },
      );
  });
}

let enabled = false;

/**
 * Starts OpenTelemetry with the Azure Monitor exporter when a connection string is given (Azure), signing in with the
 * user-assigned identity when its client id is given; a no-op otherwise and on a second call.
 */
export async function enableAzureMonitor(connectionString: string | undefined, identityClientId?: string): Promise<boolean> {
  if (enabled || !connectionString) return enabled;
  const [{ useAzureMonitor }, { ManagedIdentityCredential }] = await Promise.all([
    import('@azure/monitor-opentelemetry'),
    import('@azure/identity'),
  ]);
  // Application Insights accepts telemetry only with an Entra token in Azure (local authentication is off).
  useAzureMonitor({
    azureMonitorExporterOptions: {
      connectionString,
      ...(identityClientId ? { credential: new ManagedIdentityCredential({ clientId: identityClientId }) } : {}),
    },
  });
  enabled = true;
  return true;
}

/**
 * Outgoing mail. `MailSender` is the port the mail timer uses; the adapter sends through `@sendgrid/mail` (one
 * `MailService` per process, with its own `@sendgrid/client` pointed at SENDGRID_API_BASE_URL).
 * 429 and 5xx (and connection failures) are retried with bounded, jittered backoff that honours `Retry-After`;
 * any other 4xx is not retried. Errors and logs carry the status and SendGrid's error messages, never the API key,
 * the request headers or the mail body.
 */
import { Client } from '@sendgrid/client';
import { MailService } from '@sendgrid/mail';
import type { Config } from '../base/config.js';
import type { Logger } from '../base/logger.js';


export interface MailMessage {
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export interface MailSender {
  /** Resolves once SendGrid accepted the message; rejects with MailSendError. */
  send(message: MailMessage): Promise<void>;
}

/**
 * A send that did not go through. `retryable` is true for throttling, server errors and connection failures (try
 * again later); `status` is SendGrid's HTTP status when there was an answer.
 */
export class MailSendError extends Error {
  readonly code = 'ERR_MAIL_SEND';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'MailSendError';
  }
}

/**
 * Whether a failed send should be tried again in a later run: SendGrid unavailable (429, 5xx, no answer) or not
 * accepting our key (401, 403: a setting to fix, not a bad message). Any other refusal is final.
 */
export function isTemporary(error: unknown): boolean {
  if (!(error instanceof MailSendError)) return true;
  return error.retryable || error.status === 401 || error.status === 403;
}

export interface MailRetryOptions {
  /** Attempts per message, the first included. Default 4. */
  maxAttempts?: number;
  /** First backoff; doubles each attempt. Default 1 s. */
  baseDelayMs?: number;
  /** Longest single wait, Retry-After included: a longer Retry-After ends the attempts (the next run retries). Default 30 s. */
  maxDelayMs?: number;
}

export interface SendGridSenderOptions {
  log: Logger;
  retry?: MailRetryOptions;
  /** Waits between attempts (tests pass one that records and returns at once). */
  sleep?: (ms: number) => Promise<void>;
  /** Request timeout per attempt. Default 20 s. */
  timeoutMs?: number;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The SendGrid adapter of `MailSender`, from the app settings. */
export function createSendGridSender(
  config: Pick<Config, 'SENDGRID_API_BASE_URL' | 'SENDGRID_API_KEY' | 'MAIL_FROM'>,
  options: SendGridSenderOptions,
): MailSender {
  const client = new Client();
  // setApiKey resets the base URL to SendGrid's global region: set ours after it.
  client.setApiKey(config.SENDGRID_API_KEY);
  client.setDefaultRequest('baseUrl', `${config.SENDGRID_API_BASE_URL.replace(/\/+$/, '')}/`);
  const service = new MailService();
  service.setClient(client);
  service.setTimeout(options.timeoutMs ?? 20_000);

  const maxAttempts = Math.max(1, options.retry?.maxAttempts ?? 4);
  const baseDelayMs = options.retry?.baseDelayMs ?? 1_000;
  const maxDelayMs = options.retry?.maxDelayMs ?? 30_000;
  const sleep = options.sleep ?? defaultSleep;
  const { log } = options;

  return {
    async send(message) {
      if (message.to.length === 0) return;
      for (let attempt = 1; ; attempt += 1) {
        try {
          await service.send({
            from: config.MAIL_FROM,
            to: [...message.to],
            subject: message.subject,
            text: message.text,
            html: message.html,
            // One personalization per recipient: recipients do not see each other's addresses.
            isMultiple: message.to.length > 1,
          });
          return;
        } catch (caught) {
          const failure = describeFailure(caught);
          if (!failure.retryable) {
            log.error(`Mail "${message.subject}" was refused by SendGrid (${failure.summary}); not retried.`);
            throw new MailSendError(`SendGrid refused the mail: ${failure.summary}`, false, failure.status);
          }
          const delay = Math.max(failure.retryAfterMs ?? 0, backoff(attempt, baseDelayMs, maxDelayMs));
          if (attempt >= maxAttempts || delay > maxDelayMs) {
            log.warn(`Mail "${message.subject}" not sent after ${attempt} attempts (${failure.summary}); left for the next run.`);
            throw new MailSendError(`SendGrid is unavailable: ${failure.summary}`, true, failure.status);
          }
          log.warn(`SendGrid answered ${failure.summary}; retrying in ${delay} ms (attempt ${attempt + 1} of ${maxAttempts}).`);
          await sleep(delay);
        }
      }
    },
  };
}

/** Exponential backoff with full jitter in its upper half: base·2^(n-1), at most `max`. */
function backoff(attempt: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

interface Failure {
  status: number | undefined;
  retryable: boolean;
  retryAfterMs: number | undefined;
  /** Status and SendGrid's own error messages: safe to log. */
  summary: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * What went wrong, from a `ResponseError` of @sendgrid/helpers (`code` = HTTP status, `response.headers/body`) or a
 * connection error. Only the status, Retry-After and SendGrid's error messages are read: never the request config,
 * which holds the Authorization header.
 */
function describeFailure(caught: unknown): Failure {
  const record = isRecord(caught) ? caught : {};
  const response = isRecord(record.response) ? record.response : undefined;
  const status = response && typeof record.code === 'number' ? record.code : undefined;
  if (status === undefined) {
    const code = typeof record.code === 'string' ? record.code : 'no response';
    return { status: undefined, retryable: true, retryAfterMs: undefined, summary: `connection failed: ${code}` };
  }
  const headers = response && isRecord(response.headers) ? response.headers : {};
  const body = response && isRecord(response.body) ? response.body : {};
  const messages = Array.isArray(body.errors)
    ? body.errors.flatMap((error) => (isRecord(error) && typeof error.message === 'string' ? [error.message.slice(0, 200)] : []))
    : [];
  return {
    status,
    retryable: status === 429 || status >= 500,
    retryAfterMs: retryAfterMs(headers['retry-after']),
    summary: `HTTP ${status}${messages.length > 0 ? `: ${messages.slice(0, 3).join('; ')}` : ''}`,
  };
}

/** `Retry-After` in seconds or as an HTTP date, in ms from now. */
export function retryAfterMs(value: unknown, now = Date.now()): number | undefined {
  const text = typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : undefined;
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * SendGrid v3 `POST /v3/mail/send`, validated as SendGrid does (API key, personalizations, from, subject,
 * content order), answering 202 with `X-Message-Id`. Accepted mail is kept for read-back.
 */
import { randomBytes } from 'node:crypto';
import { isRecord, json, parseJsonBody, route } from './http.js';
import type { Route, SimRequest, SimResponse } from './http.js';
import type { SimState } from './state.js';

interface FieldError {
  message: string;
  field: string | null;
  help: string | null;
}

const HELP = 'http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html';
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function errors(status: number, list: FieldError[]): SimResponse {
  return json(status, { errors: list });
}

function emailsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter(isRecord).flatMap((r) => (typeof r.email === 'string' ? [r.email] : [])) : [];
}

function validate(body: Record<string, unknown>): FieldError[] {
  const problems: FieldError[] = [];
  const hasTemplate = typeof body.template_id === 'string' && body.template_id !== '';
  const personalizations = body.personalizations;
  if (!Array.isArray(personalizations) || personalizations.length === 0) {
    problems.push({
      message: 'The personalizations field is required and must have at least one personalization.',
      field: 'personalizations',
      help: `${HELP}#-Personalizations-Errors`,
    });
  } else {
    if (personalizations.length > 1000) {
      problems.push({ message: 'The personalizations field must have no more than 1000 personalizations.', field: 'personalizations', help: `${HELP}#-Personalizations-Errors` });
    }
    personalizations.forEach((p, i) => {
      const to = isRecord(p) ? p.to : undefined;
      if (!Array.isArray(to) || to.length === 0) {
        problems.push({
          message: 'The to array is required for all personalization objects, and must have at least one email object with a valid email address.',
          field: `personalizations.${i}.to`,
          help: `${HELP}#message.personalizations.to`,
        });
        return;
      }
      to.forEach((recipient, j) => {
        const email = isRecord(recipient) ? recipient.email : undefined;
        if (typeof email !== 'string' || !EMAIL.test(email)) {
          problems.push({ message: 'Does not contain a valid address.', field: `personalizations.${i}.to.${j}.email`, help: `${HELP}#message.personalizations.to` });
        }
      });
    });
  }
  const from = body.from;
  if (!isRecord(from) || typeof from.email !== 'string' || from.email === '') {
    problems.push({
      message: 'The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.  e.g. {"email" : "example@example.com"}  or {"email" : "example@example.com", "name" : "Example Recipient"}.',
      field: 'from.email',
      help: `${HELP}#message.from`,
    });
  } else if (!EMAIL.test(from.email)) {
    problems.push({ message: 'The from email does not contain a valid address.', field: 'from.email', help: `${HELP}#message.from` });
  }
  const topSubject = typeof body.subject === 'string' && body.subject !== '';
  const everySubject =
    Array.isArray(personalizations) && personalizations.length > 0 &&
    personalizations.every((p) => isRecord(p) && typeof p.subject === 'string' && p.subject !== '');
  if (!hasTemplate && !topSubject && !everySubject) {
    problems.push({
      message: 'The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.',
      field: 'subject',
      help: `${HELP}#message.subject`,
    });
  }
  const content = body.content;
  if (!Array.isArray(content) || content.length === 0) {
    if (!hasTemplate) {
      problems.push({
        message: 'Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block. We typically suggest both text/plain and text/html blocks are included, but only one block is required.',
        field: 'content',
        help: `${HELP}#message.content`,
      });
    }
  } else {
    content.forEach((block, i) => {
      if (!isRecord(block) || typeof block.type !== 'string' || block.type === '') {
        problems.push({ message: 'The content type must be a string at least one character in length.', field: `content.${i}.type`, help: `${HELP}#message.content.type` });
        return;
      }
      if (typeof block.value !== 'string' || block.value === '') {
        problems.push({ message: 'The content value must be a string at least one character in length.', field: `content.${i}.value`, help: `${HELP}#message.content.value` });
      }
      if (block.type === 'text/plain' && i !== 0) {
        problems.push({ message: 'If present, text/plain content must be first, followed by text/html, followed by any other content.', field: `content.${i}.type`, help: `${HELP}#message.content.type` });
      }
    });
  }
  return problems;
}

function contentOf(body: Record<string, unknown>, type: string): string | undefined {
  const content: unknown = body.content;
  if (!Array.isArray(content)) return undefined;
  const block: unknown = content.find((b) => isRecord(b) && b.type === type);
  return isRecord(block) && typeof block.value === 'string' ? block.value : undefined;
}

function send(state: SimState, req: SimRequest): SimResponse {
  const auth = req.headers.authorization;
  if (!auth) return errors(401, [{ field: null, message: 'authorization required', help: null }]);
  const match = /^Bearer\s+(.+)$/i.exec(auth);
  if (match?.[1]?.trim() !== state.sendgridApiKey) {
    return errors(401, [{ field: null, message: 'The provided authorization grant is invalid, expired, or revoked', help: null }]);
  }
  const parsed = parseJsonBody(req);
  if (!parsed.ok || !isRecord(parsed.value)) return errors(400, [{ field: null, message: 'Bad Request', help: null }]);
  const body = parsed.value;
  const problems = validate(body);
  if (problems.length > 0) return errors(400, problems);
  const personalizations = (body.personalizations as unknown[]).filter(isRecord);
  const first = personalizations[0]?.subject;
  const subject = typeof body.subject === 'string' ? body.subject : typeof first === 'string' ? first : '';
  const messageId = randomBytes(16).toString('base64url').slice(0, 22);
  state.acceptMail({
    messageId,
    receivedAt: new Date().toISOString(),
    from: String((body.from as Record<string, unknown>).email),
    to: personalizations.flatMap((p) => emailsOf(p.to)),
    cc: personalizations.flatMap((p) => emailsOf(p.cc)),
    bcc: personalizations.flatMap((p) => emailsOf(p.bcc)),
    subject,
    text: contentOf(body, 'text/plain'),
    html: contentOf(body, 'text/html'),
    request: body,
  });
  return { status: 202, headers: { 'x-message-id': messageId } };
}

export function sendgridRoutes(state: SimState): Route[] {
  return [route('POST', '/v3/mail/send', (req) => send(state, req))];
}

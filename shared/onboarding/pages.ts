/** Small, readable HTML pages for the administrator's browser during consent. Every value is escaped. */
import type { HttpResult } from '../http/problem.js';
import type { ConsentOutcome } from './onboarding.js';

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function htmlPage(status: number, title: string, message: string): HttpResult {
  const ok = status < 400;
  const body = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · MTD Connector</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem; color: #1b1b1b; line-height: 1.5; }
h1 { font-size: 1.5rem; color: ${ok ? '#0b6a0b' : '#a4262c'}; }
footer { margin-top: 3rem; font-size: .85rem; color: #605e5c; }
</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(message)}</p>
</main>
<footer>MTD Connector · admin consent</footer>
</body>
</html>
`;
  return {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    },
    body,
  };
}

export function consentResult(outcome: ConsentOutcome): HttpResult {
  if (outcome.kind === 'redirect') {
    return { status: 302, headers: { location: outcome.location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' } };
  }
  return htmlPage(outcome.status, outcome.title, outcome.message);
}

import { describe, expect, it } from 'vitest';
import { consentResult, escapeHtml, htmlPage } from '../../../shared/onboarding/pages.js';

describe('consent pages', () => {
  it('escapes every value put in a page', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe('&#60;a href=&#34;x&#34; onclick=&#39;y&#39;&#62;&#38;&#60;/a&#62;');
    const page = htmlPage(400, '<b>t</b>', '<script>alert(1)</script>');
    expect(page.body).not.toContain('<script>alert');
    expect(page.body).not.toContain('<b>t</b>');
    expect(page.headers).toMatchObject({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    expect(page.headers?.['content-security-policy']).toContain("default-src 'none'");
  });

  it('answers a redirect with its location and no body', () => {
    expect(consentResult({ kind: 'redirect', location: 'https://login.test/x' })).toEqual({
      status: 302,
      headers: { location: 'https://login.test/x', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
    });
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, answer, createApiClient } from '../src/api/client.js';

afterEach(() => vi.unstubAllGlobals());

/** Answers every call with `response` and keeps the requests made. */
function stubFetch(response: () => Response): Request[] {
  const requests: Request[] = [];
  vi.stubGlobal('fetch', (request: Request) => {
    requests.push(request);
    return Promise.resolve(response());
  });
  return requests;
}

describe('the console API client', () => {
  it('calls the API under /api of the base URL, with the user token, and returns the typed answer', async () => {
    const requests = stubFetch(() => Response.json({ items: [], nextCursor: null }));
    const api = createApiClient('https://api.contoso.test/', () => Promise.resolve('token-1'));
    const page = await answer(api.GET('/api/v1/console/devices', { params: { query: { status: 'active', cursor: 'a b', limit: 20 } } }));
    expect(page).toEqual({ items: [], nextCursor: null });
    const [request] = requests;
    expect(request?.url).toBe('https://api.contoso.test/api/v1/console/devices?status=active&cursor=a%20b&limit=20');
    expect(request?.headers.get('authorization')).toBe('Bearer token-1');
    expect(request?.headers.get('accept')).toBe('application/json');
  });

  it('sends JSON bodies and encodes path parameters', async () => {
    const requests = stubFetch(() => new Response(null, { status: 204 }));
    const api = createApiClient('https://api.contoso.test', () => Promise.resolve('t'));
    await answer(api.DELETE('/api/v1/console/enrollment-groups/{displayName}', { params: { path: { displayName: 'MTD Pilot/EU' } } }));
    expect(requests[0]?.url).toBe('https://api.contoso.test/api/v1/console/enrollment-groups/MTD%20Pilot%2FEU');
    stubFetch(() => Response.json({ email: 'a@contoso.test', levels: { high: true, medium: false, low: false } }));
    const saved = await answer(api.PUT('/api/v1/console/me/notifications', { body: { levels: { high: true, medium: false, low: false } } }));
    expect(saved.levels.high).toBe(true);
  });

  it('turns a problem+json answer into an ApiError in words', async () => {
    stubFetch(() => new Response(JSON.stringify({ type: 'about:blank', title: 'Forbidden', status: 403, detail: 'This change needs full access.' }), { status: 403, headers: { 'content-type': 'application/problem+json' } }));
    const api = createApiClient('https://api.contoso.test', () => Promise.resolve('t'));
    const failure = await answer(api.POST('/api/v1/console/enrollment/sync')).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiError);
    expect(failure).toMatchObject({ status: 403, title: 'Forbidden', message: 'This change needs full access.' });
  });
});

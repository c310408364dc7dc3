import functions from '@azure/functions';
import type { HttpRequestInit } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { BufferedRequest } from '../../../dev/host/bufferedRequest.js';

const { HttpRequest } = functions;

function request(body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const nativeRequest = new BufferedRequest('http://localhost:7071/api/echo/7?flag=on&flag=off', 'POST', headers, bytes);
  return new HttpRequest({ method: 'POST', url: nativeRequest.url, params: { id: '7' }, nativeRequest } as HttpRequestInit);
}

describe('the host request over a buffered body', () => {
  it('reads the body as text, JSON or bytes, once, as fetch does', async () => {
    const text = request('{"hello":"wörld"}');
    expect(await text.text()).toBe('{"hello":"wörld"}');
    expect(text.bodyUsed).toBe(true);
    await expect(text.text()).rejects.toThrow(TypeError);
    await expect(text.json()).rejects.toThrow(TypeError);

    expect(await request('{"n":1}').json()).toEqual({ n: 1 });
    await expect(request('{not json').json()).rejects.toThrow(SyntaxError);
    expect(Buffer.from(await request('abc').arrayBuffer()).toString()).toBe('abc');
  });

  it('drops a UTF-8 byte order mark as fetch text decoding does', async () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]);
    expect(await request(withBom).text()).toBe('{"a":1}');
    expect(await request(withBom).text()).toBe(await new Request('http://x/', { method: 'POST', body: withBom }).text());
  });

  it('answers url, method, headers, query and params like a request built from the same parts', () => {
    const req = request('{}', { 'content-type': 'application/json', authorization: 'Bearer abc' });
    expect(req.url).toBe('http://localhost:7071/api/echo/7?flag=on&flag=off');
    expect(req.method).toBe('POST');
    expect(req.headers.get('Authorization')).toBe('Bearer abc');
    expect(req.headers.get('content-type')).toBe('application/json');
    expect(req.query.getAll('flag')).toEqual(['on', 'off']);
    expect(req.params).toEqual({ id: '7' });
  });

  it('serves a body stream, a blob and a clone from a real Request when asked', async () => {
    const streamed = request('streamed');
    expect(await new Response(streamed.body).text()).toBe('streamed');
    expect(streamed.bodyUsed).toBe(true);
    await expect(streamed.text()).rejects.toThrow(TypeError);

    expect(await (await request('blob').blob()).text()).toBe('blob');

    const original = request('twice');
    const copy = original.clone();
    expect(await copy.text()).toBe('twice');
    expect(await original.text()).toBe('twice');
  });
});

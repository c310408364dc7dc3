import { describe, expect, it } from 'vitest';
import { RouteTable, RouteTemplateError, parseTemplate } from '../../../dev/host/routes.js';

const table = new RouteTable([
  { method: 'GET', template: 'health', value: 'health' },
  { method: 'GET', template: 'v1/devices/{deviceId}', value: 'device' },
  { method: 'DELETE', template: 'v1/devices/{deviceId}', value: 'deleteDevice' },
  { method: 'GET', template: 'v1/devices/summary', value: 'summary' },
  { method: 'GET', template: 'v1/tenants/{tenantId:guid}', value: 'tenant' },
  { method: 'GET', template: 'v1/tenants/{name}', value: 'tenantByName' },
  { method: 'GET', template: 'v1/pages/{n:int}', value: 'page' },
  { method: 'GET', template: 'v1/items/{id?}', value: 'items' },
  { method: 'GET', template: 'files/{*rest}', value: 'files' },
  { method: 'POST', template: 'v1/flags/{on:bool}/{code:alpha:length(2)}', value: 'flags' },
]);

describe('RouteTable', () => {
  it('matches literal segments case-insensitively under the api prefix', () => {
    expect(table.match('GET', '/api/health')).toMatchObject({ kind: 'match', value: 'health' });
    expect(table.match('get', '/API/Health/')).toMatchObject({ kind: 'match', value: 'health' });
    expect(table.match('GET', '/health')).toEqual({ kind: 'notFound' });
    expect(table.match('GET', '/api/healthz')).toEqual({ kind: 'notFound' });
  });

  it('binds URL-decoded parameters, keeping an encoded slash inside its segment', () => {
    expect(table.match('GET', '/api/v1/devices/a%20b%2Fc')).toEqual({
      kind: 'match',
      value: 'device',
      params: { deviceId: 'a b/c' },
      template: 'v1/devices/{deviceId}',
    });
  });

  it('prefers literal segments over parameters, whatever the declaration order', () => {
    expect(table.match('GET', '/api/v1/devices/summary')).toMatchObject({ value: 'summary', params: {} });
    expect(table.match('GET', '/api/v1/devices/SUMMARY')).toMatchObject({ value: 'summary' });
    expect(table.match('GET', '/api/v1/devices/other')).toMatchObject({ value: 'device', params: { deviceId: 'other' } });
  });

  it('applies constraints and prefers a constrained parameter', () => {
    const id = '6f1c1b0e-1d2a-4c3b-9e8f-0a1b2c3d4e5f';
    expect(table.match('GET', `/api/v1/tenants/${id}`)).toMatchObject({ value: 'tenant', params: { tenantId: id } });
    expect(table.match('GET', '/api/v1/tenants/contoso')).toMatchObject({ value: 'tenantByName', params: { name: 'contoso' } });
    expect(table.match('GET', '/api/v1/pages/42')).toMatchObject({ value: 'page', params: { n: '42' } });
    expect(table.match('GET', '/api/v1/pages/4x')).toEqual({ kind: 'notFound' });
    expect(table.match('GET', '/api/v1/pages/99999999999')).toEqual({ kind: 'notFound' });
    expect(table.match('POST', '/api/v1/flags/TRUE/de')).toMatchObject({ value: 'flags', params: { on: 'TRUE', code: 'de' } });
    expect(table.match('POST', '/api/v1/flags/yes/de')).toEqual({ kind: 'notFound' });
    expect(table.match('POST', '/api/v1/flags/true/deu')).toEqual({ kind: 'notFound' });
  });

  it('handles optional and catch-all parameters', () => {
    expect(table.match('GET', '/api/v1/items')).toMatchObject({ value: 'items', params: {} });
    expect(table.match('GET', '/api/v1/items/7')).toMatchObject({ value: 'items', params: { id: '7' } });
    expect(table.match('GET', '/api/v1/items/7/8')).toEqual({ kind: 'notFound' });
    expect(table.match('GET', '/api/files/a/b%20c/d.txt')).toMatchObject({ value: 'files', params: { rest: 'a/b c/d.txt' } });
    expect(table.match('GET', '/api/files')).toMatchObject({ value: 'files', params: {} });
  });

  it('answers method-not-allowed with the methods the path has', () => {
    expect(table.match('PUT', '/api/v1/devices/abc')).toEqual({ kind: 'methodNotAllowed', allow: ['DELETE', 'GET'] });
    expect(table.match('POST', '/api/health')).toEqual({ kind: 'methodNotAllowed', allow: ['GET'] });
    expect(table.match('DELETE', '/api/v1/devices/abc')).toMatchObject({ value: 'deleteDevice' });
  });

  it('supports another route prefix, or none', () => {
    const custom = new RouteTable([{ method: 'GET', template: 'ping', value: 1 }], { prefix: '' });
    expect(custom.match('GET', '/ping')).toMatchObject({ value: 1 });
    expect(custom.match('GET', '/api/ping')).toEqual({ kind: 'notFound' });
  });

  it('rejects malformed templates', () => {
    expect(() => parseTemplate('a/{*rest}/b')).toThrow(RouteTemplateError);
    expect(() => parseTemplate('a/{id?}/b')).toThrow(RouteTemplateError);
    expect(() => parseTemplate('a/x{id}')).toThrow(RouteTemplateError);
    expect(() => parseTemplate('a/{id}/{ID}')).toThrow(RouteTemplateError);
    expect(() => parseTemplate('a/{id:nonsense}')).toThrow(RouteTemplateError);
  });
});

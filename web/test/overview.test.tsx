// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { FluentProvider, webLightTheme } from '@fluentui/react-components';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createApiClient } from '../src/api/client.js';
import type { FleetSummary } from '../src/api/fleet.js';
import { SessionContext, type Session } from '../src/context.js';
import { OverviewPage } from '../src/pages/Overview.js';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

// jsdom has no layout, so no ResizeObserver; Fluent's MessageBar asks for one.
class NoResize {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
}
globalThis.ResizeObserver ??= NoResize;

const summary: FleetSummary = {
  devices: {
    total: 5,
    byStatus: { active: 3, pending: 1, disconnected: 0, deactivated: 1 },
    byRisk: { none: 1, low: 1, medium: 0, high: 2 },
    trust: { keyBound: 1, notKeyBound: 2, attestation: { verified: 1, failed: 1, absent: 0, notChecked: 1 } },
  },
  openThreats: { byClassification: { TROJAN: 2, ADWARE: 1 } },
};

describe('the overview', () => {
  it('charts the whole fleet from the summary, with one read and no device reads', async () => {
    const asked: string[] = [];
    vi.stubGlobal('fetch', (request: Request) => {
      const url = new URL(request.url);
      asked.push(url.pathname);
      if (url.pathname === '/api/v1/console/summary') return Promise.resolve(Response.json(summary));
      return Promise.resolve(new Response(null, { status: 404 }));
    });
    const session: Session = {
      api: createApiClient('https://api.contoso.test', () => Promise.resolve('t')),
      me: { access: 'full', name: 'Adele', tenantId: 't1', upn: 'adele@contoso.test', userId: 'u1' },
      canWrite: true,
      signOut: () => undefined,
    };
    const queries = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    render(
      <FluentProvider theme={webLightTheme}>
        <QueryClientProvider client={queries}>
          <SessionContext.Provider value={session}>
            <OverviewPage />
          </SessionContext.Provider>
        </QueryClientProvider>
      </FluentProvider>,
    );
    await screen.findByRole('figure', { name: 'Open threats by classification' });
    expect(screen.getByLabelText('TROJAN: 2')).toBeTruthy();
    expect(screen.getByLabelText('ADWARE: 1')).toBeTruthy();
    expect(screen.getByRole('figure', { name: 'Devices by status (5)' })).toBeTruthy();
    expect(screen.getByLabelText('active: 3')).toBeTruthy();
    expect(screen.getByLabelText('pending: 1')).toBeTruthy();
    expect(screen.getByLabelText('high: 2')).toBeTruthy();
    // Agent trust: how many activated devices still use a bearer credential, and the attestation verdicts.
    expect(screen.getByLabelText('Agent trust').textContent).toContain('2 devices are not key-bound yet');
    expect(screen.getByLabelText('failed: 1')).toBeTruthy();
    // The summary only: no device list, no device details.
    expect(asked.filter((path) => path.startsWith('/api/v1/console/devices'))).toEqual([]);
    expect(asked).toContain('/api/v1/console/summary');
  });
});

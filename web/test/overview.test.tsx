// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { FluentProvider, webLightTheme } from '@fluentui/react-components';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createApiClient } from '../src/api/client.js';
import type { ConsoleDevice, DeviceDetail } from '../src/api/devices.js';
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

function device(deviceId: string, status: ConsoleDevice['status'], riskLevel: ConsoleDevice['riskLevel'], activeThreatCount: number): ConsoleDevice {
  return {
    deviceId, intuneDeviceId: deviceId, azureAdDeviceId: null, deviceName: `Phone ${deviceId}`, platform: 'android', osVersion: '14', appVersion: '1.0',
    userId: 'u1', userPrincipalName: 'adele@contoso.test', status, statusChangedAt: '2026-01-01T00:00:00Z', discoveredAt: '2026-01-01T00:00:00Z',
    activatedAt: null, deactivatedAt: null, deactivationReason: null, lastCheckInAt: null, lastReportAt: null, riskLevel,
    activeThreatCount, version: 1, syncPending: false, deadLetteredVersion: null,
  };
}

function detail(of: ConsoleDevice, classifications: string[]): DeviceDetail {
  return {
    device: of,
    activeThreats: classifications.map((classification, i) => ({
      threatId: `${of.deviceId}-${i}`, classification, name: null, packageName: null, detectedAt: '2026-01-01T00:00:00Z', firstSeenAt: null, lastSeenAt: null,
    })),
    enforcement: {
      version: 1, syncPending: false, deadLetteredVersion: null,
      intune: { state: null, version: null, at: null, result: null },
      entra: { attribute: null, objectId: null, value: null, version: null, at: null, result: null },
    },
  };
}

describe('the overview', () => {
  it('charts the fleet from the device list and counts open threats by classification', async () => {
    const fleet = [device('d1', 'active', 'high', 2), device('d2', 'active', 'none', 0), device('d3', 'pending', 'none', 0), device('d4', 'active', 'low', 1)];
    const details = new Map([
      ['d1', detail(fleet[0] ?? device('x', 'active', 'none', 0), ['TROJAN', 'ADWARE'])],
      ['d4', detail(fleet[3] ?? device('x', 'active', 'none', 0), ['TROJAN'])],
    ]);
    const asked: string[] = [];
    vi.stubGlobal('fetch', (request: Request) => {
      const url = new URL(request.url);
      asked.push(url.pathname);
      if (url.pathname === '/api/v1/console/devices') return Promise.resolve(Response.json({ items: fleet, nextCursor: null }));
      const found = details.get(url.pathname.split('/').pop() ?? '');
      if (found) return Promise.resolve(Response.json(found));
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
    expect(screen.getByRole('figure', { name: 'Devices by status (4)' })).toBeTruthy();
    expect(screen.getByLabelText('active: 3')).toBeTruthy();
    expect(screen.getByLabelText('pending: 1')).toBeTruthy();
    // One list read, and the details of the devices with open threats only.
    expect(asked.filter((path) => path === '/api/v1/console/devices')).toHaveLength(1);
    expect(asked.filter((path) => path.startsWith('/api/v1/console/devices/')).sort()).toEqual(['/api/v1/console/devices/d1', '/api/v1/console/devices/d4']);
  });
});

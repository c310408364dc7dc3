/** The console's pages, in navigation order. */
import type { ReactElement } from 'react';
import { PolicyPage } from './Policy.js';
import { EnrollmentPage } from './Enrollment.js';
import { SettingsPage } from './Settings.js';
import { NotificationsPage } from './Notifications.js';
import { AuditPage } from './Audit.js';
import { WebhooksPage } from './Webhooks.js';
import { EventsPage } from './Events.js';
import { CoveragePage } from './Coverage.js';
import { ProviderTenantsPage } from './provider/Tenants.js';
import { ProviderTenantPage } from './provider/TenantDetail.js';
import { ProviderUsagePage } from './provider/Usage.js';

export interface PageEntry {
  readonly path: string;
  readonly title: string;
  /** Pages with their own route here; Overview and Devices are routed in App. */
  readonly element?: ReactElement;
}

export const pages: readonly PageEntry[] = [
  { path: '/', title: 'Overview' },
  { path: '/devices', title: 'Devices' },
  { path: '/policy', title: 'Threat policy', element: <PolicyPage /> },
  { path: '/enrollment', title: 'Enrollment', element: <EnrollmentPage /> },
  { path: '/coverage', title: 'Coverage', element: <CoveragePage /> },
  { path: '/settings', title: 'Connector settings', element: <SettingsPage /> },
  { path: '/notifications', title: 'Notifications', element: <NotificationsPage /> },
  { path: '/audit', title: 'Audit log', element: <AuditPage /> },
  { path: '/webhooks', title: 'Webhooks', element: <WebhooksPage /> },
  { path: '/events', title: 'Events', element: <EventsPage /> },
];

/** The provider support pages: shown, and routed, only for provider support (the server refuses everyone else too). */
export const providerPages: readonly (PageEntry & { readonly routes: readonly { path: string; element: ReactElement }[] })[] = [
  {
    path: '/tenants',
    title: 'Tenants',
    routes: [
      { path: '/tenants', element: <ProviderTenantsPage /> },
      { path: '/tenants/:tenantId', element: <ProviderTenantPage /> },
    ],
  },
  { path: '/usage', title: 'Usage', routes: [{ path: '/usage', element: <ProviderUsagePage /> }] },
];

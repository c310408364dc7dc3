/**
 * Provider support: every customer tenant at a glance (GET /api/v1/provider/tenants, one storage query a page), with
 * its status, health and device counts, filtered by status and health, a page per cursor; and provisioning a new
 * tenant (POST), which answers the admin-consent link to hand to the customer.
 */
import { useState } from 'react';
import { Link as RouterLink } from 'react-router-dom';
import {
  Badge,
  Button,
  Caption1,
  Field,
  Input,
  Link,
  Select,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { tenantHealths, tenantStatuses, useProviderTenants, useProvision, type Provisioned, type TenantHealth } from '../../api/provider.js';
import { ErrorMessage, Notice, PageHeader, When } from '../../components/common.js';
import { QueryState } from '../../components/QueryState.js';
import { CursorPager, useCursorPages } from '../../components/CursorPager.js';

const useStyles = makeStyles({
  filters: { display: 'flex', flexWrap: 'wrap', gap: tokens.spacingHorizontalM, alignItems: 'flex-end', marginBottom: tokens.spacingVerticalM },
  form: { display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(16rem, 1fr))', gap: tokens.spacingHorizontalM, alignItems: 'end', maxWidth: '60rem' },
  wrap: { overflowWrap: 'anywhere' },
});

const healthColors: Record<TenantHealth, 'success' | 'warning' | 'danger' | 'subtle'> = { healthy: 'success', degraded: 'warning', unhealthy: 'danger', unknown: 'subtle' };

export function HealthBadge({ health }: { health: TenantHealth }) {
  return (
    <Badge appearance="tint" color={healthColors[health]}>
      {health}
    </Badge>
  );
}

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface ProvisionDraft {
  tenantId: string;
  displayName: string;
  fullAccessGroupId: string;
  restrictedAccessGroupId: string;
  primaryContactEmail: string;
}
const emptyDraft: ProvisionDraft = { tenantId: '', displayName: '', fullAccessGroupId: '', restrictedAccessGroupId: '', primaryContactEmail: '' };

/** Field problems a provisioning draft has before it is sent (the service checks again). */
export function provisionProblems(draft: ProvisionDraft): Partial<Record<keyof ProvisionDraft, string>> {
  const problems: Partial<Record<keyof ProvisionDraft, string>> = {};
  if (!guid.test(draft.tenantId.trim())) problems.tenantId = 'The customer’s Entra tenant id (a GUID).';
  if (draft.displayName.trim() === '') problems.displayName = 'A name for the customer.';
  if (!guid.test(draft.fullAccessGroupId.trim())) problems.fullAccessGroupId = 'The object id (GUID) of the customer’s full-access group.';
  if (draft.restrictedAccessGroupId.trim() !== '' && !guid.test(draft.restrictedAccessGroupId.trim())) problems.restrictedAccessGroupId = 'A GUID, or empty.';
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(draft.primaryContactEmail.trim())) problems.primaryContactEmail = 'An email address.';
  return problems;
}

function ProvisionForm({ onClose }: { onClose: () => void }) {
  const styles = useStyles();
  const [draft, setDraft] = useState<ProvisionDraft>(emptyDraft);
  const [done, setDone] = useState<Provisioned | null>(null);
  const provision = useProvision();
  const problems = provisionProblems(draft);
  const ready = Object.keys(problems).length === 0;
  const touched = (key: keyof ProvisionDraft) => draft[key] !== '';
  const field = (key: keyof ProvisionDraft) => (touched(key) && problems[key] ? { validationState: 'error' as const, validationMessage: problems[key] } : {});
  const set = (key: keyof ProvisionDraft, value: string) => {
    provision.reset();
    setDraft((d) => ({ ...d, [key]: value }));
  };
  if (done) {
    return (
      <Notice intent="success" title={`Provisioned ${draft.displayName.trim()}`}>
        Send this admin-consent link to the customer&apos;s Entra ID administrator; the tenant becomes active once they consent:{' '}
        <Link href={done.consentUrl} target="_blank" rel="noreferrer" aria-label="Consent link" className={styles.wrap}>
          {done.consentUrl}
        </Link>{' '}
        <Button
          size="small"
          onClick={() => {
            setDone(null);
            setDraft(emptyDraft);
            onClose();
          }}
        >
          Done
        </Button>
      </Notice>
    );
  }
  return (
    <form
      aria-label="Provision a tenant"
      onSubmit={(e) => {
        e.preventDefault();
        if (!ready) return;
        const restricted = draft.restrictedAccessGroupId.trim();
        provision.mutate(
          {
            tenantId: draft.tenantId.trim().toLowerCase(),
            displayName: draft.displayName.trim(),
            fullAccessGroupId: draft.fullAccessGroupId.trim().toLowerCase(),
            ...(restricted ? { restrictedAccessGroupId: restricted.toLowerCase() } : {}),
            primaryContactEmail: draft.primaryContactEmail.trim(),
          },
          { onSuccess: (answer) => setDone(answer) },
        );
      }}
    >
      <div className={styles.form}>
        <Field label="Tenant id" required {...field('tenantId')}>
          <Input value={draft.tenantId} onChange={(_, d) => set('tenantId', d.value)} placeholder="00000000-0000-0000-0000-000000000000" />
        </Field>
        <Field label="Display name" required {...field('displayName')}>
          <Input value={draft.displayName} onChange={(_, d) => set('displayName', d.value)} maxLength={256} />
        </Field>
        <Field label="Full-access group id" required {...field('fullAccessGroupId')}>
          <Input value={draft.fullAccessGroupId} onChange={(_, d) => set('fullAccessGroupId', d.value)} />
        </Field>
        <Field label="Restricted-access group id (optional)" {...field('restrictedAccessGroupId')}>
          <Input value={draft.restrictedAccessGroupId} onChange={(_, d) => set('restrictedAccessGroupId', d.value)} />
        </Field>
        <Field label="Primary contact email" required {...field('primaryContactEmail')}>
          <Input type="email" value={draft.primaryContactEmail} onChange={(_, d) => set('primaryContactEmail', d.value)} />
        </Field>
      </div>
      {provision.isError ? <ErrorMessage error={provision.error} title="The tenant was not provisioned" /> : null}
      <div style={{ display: 'flex', gap: 8, marginTop: 12 }}>
        <Button type="submit" appearance="primary" disabled={!ready || provision.isPending}>
          {provision.isPending ? 'Provisioning…' : 'Provision'}
        </Button>
        <Button onClick={onClose}>Cancel</Button>
      </div>
    </form>
  );
}

export function ProviderTenantsPage() {
  const styles = useStyles();
  const [filters, setFilters] = useState({ status: '', health: '' });
  const [provisioning, setProvisioning] = useState(false);
  const pages = useCursorPages();
  const list = useProviderTenants(filters, pages.cursor);
  const setFilter = (name: 'status' | 'health', value: string) => {
    setFilters((f) => ({ ...f, [name]: value }));
    pages.restart();
  };
  const rows = list.data?.items ?? [];
  return (
    <>
      <PageHeader
        title="Tenants"
        description="Every customer tenant with its status, health and devices. Open one for its health checks, consent link and offboarding."
        actions={
          <Button appearance="primary" disabled={provisioning} onClick={() => setProvisioning(true)}>
            Provision a tenant…
          </Button>
        }
      />
      {provisioning ? <ProvisionForm onClose={() => setProvisioning(false)} /> : null}
      <div className={styles.filters} role="search">
        <Field label="Status">
          <Select value={filters.status} onChange={(_, d) => setFilter('status', d.value)}>
            <option value="">Any</option>
            {tenantStatuses.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Health">
          <Select value={filters.health} onChange={(_, d) => setFilter('health', d.value)}>
            <option value="">Any</option>
            {tenantHealths.map((h) => (
              <option key={h} value={h}>
                {h}
              </option>
            ))}
          </Select>
        </Field>
      </div>
      <QueryState query={list} loading="Loading tenants…" refetching />
      <Table aria-label="Tenants" size="small">
        <TableHeader>
          <TableRow>
            <TableHeaderCell>Tenant</TableHeaderCell>
            <TableHeaderCell>Status</TableHeaderCell>
            <TableHeaderCell>Health</TableHeaderCell>
            <TableHeaderCell>Devices (active / pending / total)</TableHeaderCell>
            <TableHeaderCell>Last discovery</TableHeaderCell>
            <TableHeaderCell>Last heartbeat</TableHeaderCell>
          </TableRow>
        </TableHeader>
        <TableBody>
          {rows.map((tenant) => (
            <TableRow key={tenant.tenantId}>
              <TableCell className={styles.wrap}>
                <RouterLink to={`/tenants/${encodeURIComponent(tenant.tenantId)}`}>{tenant.displayName}</RouterLink>
                <br />
                <Caption1>{tenant.tenantId}</Caption1>
              </TableCell>
              <TableCell>
                <Badge appearance="outline" color={tenant.status === 'active' ? 'brand' : tenant.status === 'offboarding' ? 'danger' : 'subtle'}>
                  {tenant.status}
                </Badge>
              </TableCell>
              <TableCell>
                <HealthBadge health={tenant.health} />
              </TableCell>
              <TableCell>
                {tenant.devices.active} / {tenant.devices.pending} / {tenant.devices.total}
              </TableCell>
              <TableCell>
                <When at={tenant.lastDiscoveryAt} />
              </TableCell>
              <TableCell>
                <When at={tenant.lastHeartbeatAt} />
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {!list.isPending && rows.length === 0 ? <Caption1>No tenants match.</Caption1> : null}
      <CursorPager pages={pages} nextCursor={list.data?.nextCursor} />
    </>
  );
}

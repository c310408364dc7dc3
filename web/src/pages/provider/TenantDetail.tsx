/**
 * Provider support: one tenant (GET /api/v1/provider/tenants/{tenantId}): its record, device counts, health checks and
 * admin-consent link; and its offboarding (DELETE), confirmed by typing the tenant's name or id, then followed until
 * the tenant is gone (the service answers 404 once every row it owned is deleted).
 */
import { useState } from 'react';
import { Link as RouterLink, useParams } from 'react-router-dom';
import {
  Body1,
  Button,
  Card,
  CardHeader,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  Input,
  Link,
  ProgressBar,
  Subtitle1,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { ApiError } from '../../api/client.js';
import { useOffboard, useProviderTenant, type ProviderTenant } from '../../api/provider.js';
import { ErrorMessage, Notice, PageHeader, When } from '../../components/common.js';
import { QueryState } from '../../components/QueryState.js';

const useStyles = makeStyles({
  grid: { display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(20rem, 1fr))', gap: tokens.spacingHorizontalL },
  card: { padding: tokens.spacingHorizontalL },
  facts: { display: 'grid', gridTemplateColumns: 'max-content 1fr', columnGap: tokens.spacingHorizontalL, rowGap: tokens.spacingVerticalXS, margin: 0 },
  term: { color: tokens.colorNeutralForeground2 },
  value: { margin: 0, overflowWrap: 'anywhere' },
  stack: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
});

function Facts({ items }: { items: [string, React.ReactNode][] }) {
  const styles = useStyles();
  return (
    <dl className={styles.facts}>
      {items.map(([term, value]) => (
        <div key={term} style={{ display: 'contents' }}>
          <dt className={styles.term}>{term}</dt>
          <dd className={styles.value}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** True when what was typed names the tenant: its id or its display name, exactly (spaces around aside). */
export function confirmsTenant(typed: string, tenant: Pick<ProviderTenant, 'tenantId' | 'displayName'>): boolean {
  const value = typed.trim();
  return value !== '' && (value.toLowerCase() === tenant.tenantId.toLowerCase() || value === tenant.displayName.trim());
}

const phaseWords: Record<NonNullable<ProviderTenant['offboarding']>['phase'], string> = {
  deactivate: 'telling Intune and Entra ID the devices are deactivated',
  stop: 'stopping webhooks and schedules',
  delete: 'deleting the tenant’s data',
  finish: 'removing the tenant',
};

function OffboardDialog({ tenant, onClose, onStarted }: { tenant: ProviderTenant; onClose: () => void; onStarted: () => void }) {
  const styles = useStyles();
  const [typed, setTyped] = useState('');
  const offboard = useOffboard(tenant.tenantId);
  const confirmed = confirmsTenant(typed, tenant);
  return (
    <Dialog open modalType="alert" onOpenChange={(_, d) => (d.open ? undefined : onClose())}>
      <DialogSurface>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (confirmed) offboard.mutate(undefined, { onSuccess: () => onStarted() });
          }}
        >
          <DialogBody>
            <DialogTitle>Offboard {tenant.displayName}?</DialogTitle>
            <DialogContent className={styles.stack}>
              <Body1>
                Its {tenant.counts.devices.total} devices are reported to Intune as deactivated and their Entra attribute is cleared, its webhooks and
                schedules stop, its console users are refused, and then <strong>every row the tenant owns is deleted</strong>. This cannot be undone.
              </Body1>
              <Field label={`Type the tenant's name (${tenant.displayName}) or id to confirm`}>
                <Input value={typed} onChange={(_, d) => setTyped(d.value)} autoComplete="off" aria-label="Confirm the tenant" />
              </Field>
              {offboard.isError ? <ErrorMessage error={offboard.error} title="Offboarding did not start" /> : null}
            </DialogContent>
            <DialogActions>
              <Button onClick={onClose}>Cancel</Button>
              <Button type="submit" appearance="primary" disabled={!confirmed || offboard.isPending}>
                {offboard.isPending ? 'Starting…' : 'Offboard'}
              </Button>
            </DialogActions>
          </DialogBody>
        </form>
      </DialogSurface>
    </Dialog>
  );
}

function OffboardingProgress({ progress }: { progress: NonNullable<ProviderTenant['offboarding']> }) {
  const { devices } = progress;
  return (
    <Notice intent="warning" title="Offboarding">
      <span aria-label="Offboarding progress">
        Now {phaseWords[progress.phase]}. Devices told: {devices.done} of {devices.total}
        {devices.failed > 0 ? ` (${devices.failed} failed)` : ''}; rows deleted: {progress.rowsDeleted}. Started <When at={progress.startedAt} />, last
        progress <When at={progress.updatedAt} />.
      </span>
      <ProgressBar value={devices.total === 0 ? undefined : devices.done / devices.total} />
    </Notice>
  );
}

export function ProviderTenantPage() {
  const { tenantId = '' } = useParams();
  const styles = useStyles();
  const tenant = useProviderTenant(tenantId);
  const [confirming, setConfirming] = useState(false);
  const [started, setStarted] = useState(false);
  const back = (
    <p style={{ margin: 0 }}>
      <RouterLink to="/tenants">← Tenants</RouterLink>
    </p>
  );
  if (tenant.isError && tenant.error instanceof ApiError && tenant.error.status === 404) {
    return (
      <>
        {back}
        <PageHeader title="Tenant" />
        {started ? (
          <Notice intent="success" title="Offboarded">
            The tenant and every row it owned are gone.
          </Notice>
        ) : (
          <Notice intent="info">No tenant {tenantId} (never provisioned, or offboarded).</Notice>
        )}
      </>
    );
  }
  if (!tenant.data) {
    return (
      <>
        {back}
        <QueryState query={tenant} loading="Loading the tenant…" />
      </>
    );
  }
  const t = tenant.data;
  const { health } = t;
  return (
    <>
      {back}
      <PageHeader
        title={t.displayName}
        description={`${t.tenantId} · ${t.status}`}
        actions={
          <Button disabled={t.status === 'offboarding'} onClick={() => setConfirming(true)}>
            Offboard…
          </Button>
        }
      />
      {t.offboarding ? <OffboardingProgress progress={t.offboarding} /> : null}
      {confirming ? (
        <OffboardDialog
          tenant={t}
          onClose={() => setConfirming(false)}
          onStarted={() => {
            setStarted(true);
            setConfirming(false);
          }}
        />
      ) : null}
      <div className={styles.grid}>
        <Card className={styles.card}>
          <CardHeader header={<Subtitle1 as="h2">Tenant</Subtitle1>} />
          <Facts
            items={[
              ['Status', t.status],
              ['Created', <When key="c" at={t.createdAt} />],
              ['Primary contact', t.primaryContactEmail],
              ['Full-access group', t.fullAccessGroupId],
              ['Restricted-access group', t.restrictedAccessGroupId ?? '—'],
              ['Enrollment groups', String(t.counts.enrollmentGroups)],
              [
                'Devices',
                `${t.counts.devices.total} (active ${t.counts.devices.active}, pending ${t.counts.devices.pending}, disconnected ${t.counts.devices.disconnected}, deactivated ${t.counts.devices.deactivated})`,
              ],
            ]}
          />
        </Card>
        <Card className={styles.card} aria-label="Health checks">
          <CardHeader header={<Subtitle1 as="h2">Health checks</Subtitle1>} />
          <Facts
            items={[
              ['Consent', health.consent.granted ? <span key="cg">granted {health.consent.by ? `by ${health.consent.by}` : ''} <When at={health.consent.at} /></span> : 'not granted yet'],
              [
                'Last discovery',
                health.lastEnrollmentSync ? (
                  <span key="ls">
                    {health.lastEnrollmentSync.result ?? '—'}, <When at={health.lastEnrollmentSync.at} />
                  </span>
                ) : (
                  'never'
                ),
              ],
              [
                'Last connector heartbeat',
                health.lastConnectorHeartbeat ? (
                  <span key="lh">
                    {health.lastConnectorHeartbeat.result ?? '—'}, <When at={health.lastConnectorHeartbeat.at} />
                  </span>
                ) : (
                  'never'
                ),
              ],
              [
                'Last error',
                health.lastError ? (
                  <span key="le">
                    {health.lastError.kind ?? 'error'}: {health.lastError.message ?? '—'} (<When at={health.lastError.at} />)
                  </span>
                ) : (
                  'none'
                ),
              ],
            ]}
          />
        </Card>
        <Card className={styles.card} aria-label="Admin consent">
          <CardHeader header={<Subtitle1 as="h2">Admin consent</Subtitle1>} />
          <Body1>
            {health.consent.granted
              ? 'The customer has consented. The link below lets an administrator consent again (for example after revoking it).'
              : 'Send this link to the customer’s Entra ID administrator; the tenant becomes active once they consent.'}
          </Body1>
          <Link href={t.consentUrl} target="_blank" rel="noreferrer" style={{ overflowWrap: 'anywhere' }}>
            {t.consentUrl}
          </Link>
        </Card>
      </div>
    </>
  );
}

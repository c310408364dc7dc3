/** The whole fleet at a glance (from the summary route): devices by status and risk, open threats by classification, connector health. */
import { Badge, Card, CardHeader, Caption1, Subtitle1, Body1, makeStyles, tokens } from '@fluentui/react-components';
import { isNotAvailable } from '../api/client.js';
import { useFleetSummary } from '../api/fleet.js';
import { useConnectorHealth } from '../api/health.js';
import { riskOrder } from '../logic.js';
import { BarChart } from '../components/BarChart.js';
import { riskColors, statusColors } from '../components/badges.js';
import { PageHeader, When } from '../components/common.js';
import { QueryState } from '../components/QueryState.js';

const useStyles = makeStyles({
  grid: { display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(18rem, 1fr))', gap: tokens.spacingHorizontalL },
  card: { padding: tokens.spacingHorizontalL },
});

function HealthCard() {
  const styles = useStyles();
  const health = useConnectorHealth();
  // The health route arrives with a later release: no card until the server answers it.
  if (health.isError && isNotAvailable(health.error)) return null;
  const color = health.data?.status === 'healthy' ? 'success' : health.data?.status === 'degraded' ? 'warning' : 'danger';
  return (
    <Card className={styles.card} aria-label="Connector health">
      <CardHeader header={<Subtitle1 as="h2">Connector health</Subtitle1>} action={health.data ? <Badge color={color}>{health.data.status}</Badge> : undefined} />
      <QueryState query={health} loading="Checking the connector…" />
      {health.data ? (
        <ul style={{ margin: 0, paddingLeft: 18 }}>
          {health.data.checks.map((check) => (
            <li key={check.name}>
              <Body1>
                <strong>{check.name}</strong>: {check.status}
                {check.detail ? ` — ${check.detail}` : ''}
              </Body1>{' '}
              <Caption1>
                (<When at={check.checkedAt} />)
              </Caption1>
            </li>
          ))}
        </ul>
      ) : null}
    </Card>
  );
}

export function OverviewPage() {
  const styles = useStyles();
  const summary = useFleetSummary();
  const data = summary.data;
  const trust = data?.devices.trust;
  const threats = data
    ? Object.entries(data.openThreats.byClassification)
        .map(([classification, count]) => ({ classification, count: count ?? 0 }))
        .filter((t) => t.count > 0)
        .sort((a, b) => b.count - a.count)
    : [];
  return (
    <>
      <PageHeader title="Overview" description="Your whole fleet at a glance: devices by status and risk, open threats by classification." />
      <div className={styles.grid}>
        <HealthCard />
        <QueryState query={summary} loading="Counting devices…" />
        {data ? (
          <>
            <Card className={styles.card}>
              <BarChart
                title={`Devices by status (${data.devices.total})`}
                bars={deviceStatusOrder.map((key) => ({ label: key, value: data.devices.byStatus[key], color: statusColors[key] }))}
                empty="No devices yet: add an enrollment group and sync."
              />
            </Card>
            <Card className={styles.card}>
              <BarChart
                title="Devices by risk (not deactivated)"
                bars={[...riskOrder].reverse().map((key) => ({ label: key, value: data.devices.byRisk[key], color: riskColors[key] }))}
                empty="No devices yet."
              />
            </Card>
            <Card className={styles.card}>
              <BarChart
                title="Open threats by classification"
                bars={threats.map((t) => ({ label: t.classification, value: t.count, color: '#8764b8' }))}
                empty="No open threats."
              />
            </Card>
            {trust ? (
              <Card className={styles.card} aria-label="Agent trust">
                <CardHeader header={<Subtitle1 as="h2">Agent trust</Subtitle1>} />
                <Body1>
                  <strong>{trust.notKeyBound}</strong> {trust.notKeyBound === 1 ? 'device is' : 'devices are'} not key-bound yet
                  {trust.notKeyBound > 0 ? ': they re-activate when key binding becomes required.' : '.'} {trust.keyBound} key-bound.
                </Body1>
                <BarChart
                  title="Attestation"
                  bars={[
                    { label: 'verified', value: trust.attestation.verified, color: '#107c10' },
                    { label: 'failed', value: trust.attestation.failed, color: '#d13438' },
                    { label: 'absent', value: trust.attestation.absent, color: '#ca5010' },
                    { label: 'not checked', value: trust.attestation.notChecked, color: '#8a8886' },
                  ]}
                  empty="No activated devices yet."
                />
              </Card>
            ) : null}
          </>
        ) : null}
      </div>
    </>
  );
}

const deviceStatusOrder = ['active', 'pending', 'disconnected', 'deactivated'] as const;

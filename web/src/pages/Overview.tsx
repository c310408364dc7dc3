/** The fleet at a glance: devices by status and risk, open threats by classification, connector health. */
import { useQuery } from '@tanstack/react-query';
import { Badge, Card, CardHeader, Caption1, Subtitle1, Body1, makeStyles, tokens } from '@fluentui/react-components';
import { keys } from '../api/hooks.js';
import type { ApiClient } from '../api/client.js';
import type { ConsoleDevice, DeviceDetail, DeviceList } from '../api/types.js';
import type { ConnectorHealth } from '../api/pending.js';
import { useSession } from '../context.js';
import { countBy, deviceListQuery, riskOrder } from '../logic.js';
import { BarChart } from '../components/BarChart.js';
import { riskColors, statusColors } from '../components/badges.js';
import { ErrorMessage, Loading, PageHeader, When, isNotAvailable } from '../components/common.js';

const useStyles = makeStyles({
  grid: { display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(18rem, 1fr))', gap: tokens.spacingHorizontalL },
  card: { padding: tokens.spacingHorizontalL },
});

/** Pages read for the overview at most (200 devices each); beyond that the charts say they cover a part. */
export const overviewMaxPages = 10;
/** Device details read for the threat chart at most. */
export const overviewMaxDetails = 50;

interface Overview {
  devices: ConsoleDevice[];
  complete: boolean;
  threats: { classification: string; count: number }[];
  threatDevicesRead: number;
  threatDevices: number;
}

async function loadOverview(api: ApiClient): Promise<Overview> {
  const devices: ConsoleDevice[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: DeviceList = await api.get<DeviceList>(`v1/console/devices?${deviceListQuery({ cursor, limit: 200 })}`);
    devices.push(...page.items);
    cursor = page.nextCursor;
    pages += 1;
  } while (cursor && pages < overviewMaxPages);
  const withThreats = devices.filter((d) => d.activeThreatCount > 0);
  const read = withThreats.slice(0, overviewMaxDetails);
  const details = await Promise.all(read.map((d) => api.get<DeviceDetail>(`v1/console/devices/${encodeURIComponent(d.deviceId)}`)));
  const counts = new Map<string, number>();
  for (const detail of details) for (const t of detail.activeThreats) counts.set(t.classification, (counts.get(t.classification) ?? 0) + 1);
  const threats = [...counts.entries()].map(([classification, count]) => ({ classification, count })).sort((a, b) => b.count - a.count);
  return { devices, complete: cursor === null, threats, threatDevicesRead: read.length, threatDevices: withThreats.length };
}

function HealthCard() {
  const { api } = useSession();
  const styles = useStyles();
  const health = useQuery({
    queryKey: keys.health,
    queryFn: () => api.get<ConnectorHealth>('v1/console/health'),
    retry: (count, error) => !isNotAvailable(error) && count < 2,
  });
  // The health route arrives with a later release: no card until the server answers it.
  if (health.isError && isNotAvailable(health.error)) return null;
  const color = health.data?.status === 'healthy' ? 'success' : health.data?.status === 'degraded' ? 'warning' : 'danger';
  return (
    <Card className={styles.card} aria-label="Connector health">
      <CardHeader header={<Subtitle1 as="h2">Connector health</Subtitle1>} action={health.data ? <Badge color={color}>{health.data.status}</Badge> : undefined} />
      {health.isPending ? <Loading label="Checking the connector…" /> : null}
      {health.isError ? <ErrorMessage error={health.error} /> : null}
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
  const { api } = useSession();
  const styles = useStyles();
  const overview = useQuery({ queryKey: keys.overview, queryFn: () => loadOverview(api) });
  const data = overview.data;
  return (
    <>
      <PageHeader title="Overview" description="Your fleet at a glance: devices by status and risk, open threats by classification." />
      <div className={styles.grid}>
        <HealthCard />
        {overview.isPending ? <Loading label="Counting devices…" /> : null}
        {overview.isError ? <ErrorMessage error={overview.error} /> : null}
        {data ? (
          <>
            <Card className={styles.card}>
              <BarChart
                title={`Devices by status (${data.devices.length}${data.complete ? '' : '+'})`}
                bars={countBy(data.devices.map((d) => d.status), ['active', 'pending', 'disconnected', 'deactivated'] as const).map(({ key, count }) => ({ label: key, value: count, color: statusColors[key] }))}
                empty="No devices yet: add an enrollment group and sync."
              />
            </Card>
            <Card className={styles.card}>
              <BarChart
                title="Active devices by risk"
                bars={countBy(data.devices.filter((d) => d.status === 'active').map((d) => d.riskLevel), [...riskOrder].reverse()).map(({ key, count }) => ({ label: key, value: count, color: riskColors[key] }))}
                empty="No active devices yet."
              />
            </Card>
            <Card className={styles.card}>
              <BarChart
                title="Open threats by classification"
                bars={data.threats.map((t) => ({ label: t.classification, value: t.count, color: '#8764b8' }))}
                empty="No open threats."
              />
              {data.threatDevicesRead < data.threatDevices ? (
                <Caption1>Counted on {data.threatDevicesRead} of the {data.threatDevices} devices with open threats.</Caption1>
              ) : null}
            </Card>
          </>
        ) : null}
      </div>
      {data && !data.complete ? <Caption1>The charts cover the first {data.devices.length} devices.</Caption1> : null}
    </>
  );
}

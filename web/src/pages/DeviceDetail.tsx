/** One device: its state, its open threats, why it has its risk level, and what Intune and Entra were last told. */
import { Link as RouterLink, useParams } from 'react-router-dom';
import {
  Card,
  CardHeader,
  Subtitle1,
  Body1,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { useState } from 'react';
import { Button } from '@fluentui/react-components';
import { useClassifications } from '../api/classifications.js';
import { useSession } from '../context.js';
import { useAppRules } from '../api/appRules.js';
import { OverrideBanner, OverrideDialog } from '../components/RiskOverride.js';
import { useDevice } from '../api/devices.js';
import { attestationStatusLabels, describeAttestation } from '../api/trust.js';
import { explainRisk } from '../logic.js';
import { RiskBadge, StatusBadge } from '../components/badges.js';
import { ErrorMessage, Loading, PageHeader, When } from '../components/common.js';
import { QueryState } from '../components/QueryState.js';
import { DeviceTimeline } from '../components/DeviceTimeline.js';
import { IntuneViewCard } from '../components/IntuneView.js';

const useStyles = makeStyles({
  grid: { display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(20rem, 1fr))', gap: tokens.spacingHorizontalL, marginBottom: tokens.spacingVerticalL },
  card: { padding: tokens.spacingHorizontalL },
  facts: { display: 'grid', gridTemplateColumns: 'max-content 1fr', columnGap: tokens.spacingHorizontalL, rowGap: tokens.spacingVerticalXS, margin: 0 },
  term: { color: tokens.colorNeutralForeground2 },
  value: { margin: 0, overflowWrap: 'anywhere' },
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

export function DeviceDetailPage() {
  const { deviceId = '' } = useParams();
  const styles = useStyles();
  const detail = useDevice(deviceId);
  const policy = useClassifications();
  const { canWrite } = useSession();
  const rules = useAppRules();
  const [overriding, setOverriding] = useState(false);

  if (detail.isPending || detail.isError) {
    return (
      <>
        {detail.isError ? <PageHeader title="Device" /> : null}
        <QueryState query={detail} loading="Loading the device…" />
        {detail.isError ? (
          <p>
            <RouterLink to="/devices">Back to devices</RouterLink>
          </p>
        ) : null}
      </>
    );
  }
  const { device, activeThreats, enforcement } = detail.data;
  const { trust } = detail.data;
  const explanation = policy.data ? explainRisk(detail.data, policy.data.items, rules.data?.items) : null;
  return (
    <>
      <p style={{ margin: 0 }}>
        <RouterLink to="/devices">← Devices</RouterLink>
      </p>
      <PageHeader
        title={device.deviceName}
        description={`${device.userPrincipalName} · ${device.platform === 'ios' ? 'iOS' : 'Android'} ${device.osVersion}`}
        actions={
          <Button disabled={!canWrite} onClick={() => setOverriding(true)}>
            {detail.data.override ? 'Change or end the risk override…' : 'Set a risk override…'}
          </Button>
        }
      />
      {detail.data.override ? <OverrideBanner override={detail.data.override} /> : null}
      {overriding ? <OverrideDialog deviceId={device.deviceId} current={detail.data.override} onClose={() => setOverriding(false)} /> : null}
      <div className={styles.grid}>
        <Card className={styles.card}>
          <CardHeader header={<Subtitle1 as="h2">State</Subtitle1>} />
          <Facts
            items={[
              ['Status', <StatusBadge key="s" status={device.status} />],
              ['Risk level', <RiskBadge key="r" level={device.riskLevel} />],
              ['Open threats', String(device.activeThreatCount)],
              ['Last check-in', <When key="c" at={device.lastCheckInAt} />],
              ['Last threat report', <When key="t" at={device.lastReportAt} />],
              ['Discovered', <When key="d" at={device.discoveredAt} />],
              ['Activated', <When key="a" at={device.activatedAt} />],
              ['App version', device.appVersion ?? '—'],
              ['Device id', device.deviceId],
            ]}
          />
        </Card>
        <Card className={styles.card} aria-label="Why this risk level">
          <CardHeader header={<Subtitle1 as="h2">Why this risk level</Subtitle1>} />
          {policy.isError ? <ErrorMessage error={policy.error} /> : null}
          {explanation ? <Body1>{explanation.summary}</Body1> : <Loading label="Reading the policy…" />}
        </Card>
        <Card className={styles.card} aria-label="Agent trust">
          <CardHeader header={<Subtitle1 as="h2">Agent trust</Subtitle1>} description={describeAttestation(trust.attestation)} />
          <Facts
            items={[
              ['Credential', trust.keyBound ? 'Key-bound (DPoP): only this device’s key can use it' : 'Bearer: not bound to a device key'],
              ['Attestation', attestationStatusLabels[trust.attestation.status]],
              ['Format', trust.attestation.format ?? '—'],
              ['Verdict', trust.attestation.reason ?? (trust.attestation.status === 'verified' ? 'genuine device and app' : '—')],
              ['Security level', trust.attestation.securityLevel ?? '—'],
              ['Checked', <When key="ck" at={trust.attestation.checkedAt} />],
            ]}
          />
        </Card>
        <IntuneViewCard detail={detail.data} />
        <Card className={styles.card} aria-label="What Intune and Entra were told">
          <CardHeader header={<Subtitle1 as="h2">What Intune and Entra ID were last told</Subtitle1>} />
          <Facts
            items={[
              ['Intune threat state', enforcement.intune.state ?? 'nothing yet'],
              ['Intune, when', <When key="iw" at={enforcement.intune.at} />],
              ['Intune, outcome', enforcement.intune.result ?? '—'],
              ['Entra attribute', enforcement.entra.attribute ?? 'not used'],
              ['Entra value', enforcement.entra.value ?? '—'],
              ['Entra, when', <When key="ew" at={enforcement.entra.at} />],
              ['Entra, outcome', enforcement.entra.result ?? '—'],
              ['In sync', enforcement.syncPending ? `no: version ${enforcement.version} is being sent` : 'yes'],
              ...(enforcement.deadLetteredVersion !== null
                ? ([['Failed push', `version ${enforcement.deadLetteredVersion} could not be delivered`]] as [string, React.ReactNode][])
                : []),
            ]}
          />
        </Card>
      </div>
      <Subtitle1 as="h2">Open threats</Subtitle1>
      <Table aria-label="Open threats" size="small">
        <TableHeader>
          <TableRow>
            <TableHeaderCell>Classification</TableHeaderCell>
            <TableHeaderCell>Risk under your policy</TableHeaderCell>
            <TableHeaderCell>Name</TableHeaderCell>
            <TableHeaderCell>Package</TableHeaderCell>
            <TableHeaderCell>Detected</TableHeaderCell>
          </TableRow>
        </TableHeader>
        <TableBody>
          {activeThreats.map((threat) => {
            const reason = explanation?.reasons.find((r) => r.threatId === threat.threatId);
            return (
              <TableRow key={threat.threatId}>
                <TableCell>{threat.classification}</TableCell>
                <TableCell>{reason?.level ? <RiskBadge level={reason.level} /> : '—'}{reason?.decisive ? ' (sets the level)' : ''}</TableCell>
                <TableCell>{threat.name ?? '—'}</TableCell>
                <TableCell style={{ overflowWrap: 'anywhere' }}>{threat.packageName ?? '—'}</TableCell>
                <TableCell>
                  <When at={threat.detectedAt} />
                </TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
      {activeThreats.length === 0 ? <Body1>No open threats.</Body1> : null}
      <DeviceTimeline deviceId={device.deviceId} />
    </>
  );
}

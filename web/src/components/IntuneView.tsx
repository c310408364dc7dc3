/** Intune's own view of the device (read from Graph by the service), beside what we last told it. */
import { Card, CardHeader, Subtitle1, Body1, makeStyles, tokens } from '@fluentui/react-components';
import type { DeviceDetail } from '../api/devices.js';
import { compareWithIntune } from '../intuneView.js';
import { When } from './common.js';

const useStyles = makeStyles({
  card: { padding: tokens.spacingHorizontalL },
  facts: { display: 'grid', gridTemplateColumns: 'max-content 1fr', columnGap: tokens.spacingHorizontalL, rowGap: tokens.spacingVerticalXS, margin: 0 },
  term: { color: tokens.colorNeutralForeground2 },
  value: { margin: 0, overflowWrap: 'anywhere' },
  differs: { color: tokens.colorPaletteDarkOrangeForeground1, fontWeight: tokens.fontWeightSemibold, overflowWrap: 'anywhere' },
});

export function IntuneViewCard({ detail }: { detail: DeviceDetail }) {
  const styles = useStyles();
  const comparison = compareWithIntune(detail);
  const intune = detail.intune;
  return (
    <Card className={styles.card} aria-label="Intune's own view">
      <CardHeader header={<Subtitle1 as="h2">Intune&apos;s own view</Subtitle1>} />
      {intune ? (
        <dl className={styles.facts}>
          <dt className={styles.term}>Compliance</dt>
          <dd className={styles.value}>{intune.complianceState ?? '—'}</dd>
          <dt className={styles.term}>Threat state Intune holds</dt>
          <dd className={styles.value}>{intune.partnerReportedThreatState ?? '—'}</dd>
          <dt className={styles.term}>Last sync with Intune</dt>
          <dd className={styles.value}>
            <When at={intune.lastSyncDateTime} />
          </dd>
          <dt className={styles.term}>Read</dt>
          <dd className={styles.value}>
            <When at={intune.readAt} />
          </dd>
        </dl>
      ) : null}
      <Body1 className={comparison.verdict === 'differs' ? styles.differs : undefined} role={comparison.verdict === 'differs' ? 'status' : undefined}>
        {comparison.sentence}
      </Body1>
    </Card>
  );
}

/** A horizontal bar chart whose numbers are also text: readable by screen readers and at any width. */
import { Caption1, Subtitle2, makeStyles, tokens } from '@fluentui/react-components';

export interface Bar {
  readonly label: string;
  readonly value: number;
  readonly color: string;
}

const useStyles = makeStyles({
  chart: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS, margin: 0, padding: 0, listStyleType: 'none' },
  row: { display: 'grid', gridTemplateColumns: 'minmax(6rem, 10rem) 1fr 3rem', alignItems: 'center', gap: tokens.spacingHorizontalS },
  track: { backgroundColor: tokens.colorNeutralBackground3, borderRadius: tokens.borderRadiusSmall, height: '12px', overflow: 'hidden' },
  value: { textAlign: 'right', fontVariantNumeric: 'tabular-nums' },
});

export function BarChart({ title, bars, empty }: { title: string; bars: readonly Bar[]; empty?: string }) {
  const styles = useStyles();
  const max = Math.max(1, ...bars.map((b) => b.value));
  const total = bars.reduce((sum, b) => sum + b.value, 0);
  return (
    <figure style={{ margin: 0 }} aria-label={title}>
      <Subtitle2 as="h3" style={{ display: 'block', marginBottom: 8 }}>
        {title}
      </Subtitle2>
      {total === 0 && empty ? (
        <Caption1>{empty}</Caption1>
      ) : (
        <ul className={styles.chart}>
          {bars.map((bar) => (
            <li key={bar.label} className={styles.row} aria-label={`${bar.label}: ${bar.value}`}>
              <Caption1>{bar.label}</Caption1>
              <div className={styles.track} aria-hidden="true">
                <div style={{ width: `${(bar.value / max) * 100}%`, height: '100%', backgroundColor: bar.color }} />
              </div>
              <Caption1 className={styles.value}>{bar.value}</Caption1>
            </li>
          ))}
        </ul>
      )}
    </figure>
  );
}

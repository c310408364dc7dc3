/** What a policy change would do, and a queued re-grade followed to its end: shared by classifications and app rules. */
import { Body1, Field, ProgressBar } from '@fluentui/react-components';
import { useRegrade, type RegradeProgress as Progress } from '../api/classifications.js';
import { describeRegrade } from '../logic.js';
import { ErrorMessage } from './common.js';

/** A preview's answer: how many devices would change level, by old → new, with a sample. */
export interface ImpactPreview {
  readonly devicesChanged: number;
  readonly byChange: Readonly<Record<string, number>>;
  readonly sample: readonly { readonly deviceId: string; readonly deviceName: string; readonly from: string; readonly to: string }[];
}

/** The impact of a change, in words and with a sample of the devices. */
export function Impact({ preview }: { preview: ImpactPreview }) {
  const changes = Object.entries(preview.byChange);
  return (
    <div aria-live="polite">
      <Body1 as="p" style={{ margin: 0 }}>
        <strong>{preview.devicesChanged}</strong> device{preview.devicesChanged === 1 ? '' : 's'} would change risk level
        {changes.length > 0 ? `: ${changes.map(([change, count]) => `${change} ${count}`).join(', ')}` : '.'}
      </Body1>
      {preview.sample.length > 0 ? (
        <ul style={{ margin: '8px 0 0', paddingLeft: 18 }} aria-label="Devices that would change">
          {preview.sample.map((d) => (
            <li key={d.deviceId}>
              {d.deviceName}: {d.from} → {d.to}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** A queued re-grade followed to its end; nothing to follow for a synchronous answer. */
export function RegradeProgress({ regrade }: { regrade: Progress }) {
  const followed = useRegrade(regrade);
  const current = followed.data;
  const done = current.status === 'completed';
  return (
    <div role="status">
      <Field label={describeRegrade(current)} validationState="none">
        <ProgressBar value={done ? 1 : current.devicesTotal > 0 ? current.devicesChanged / current.devicesTotal : undefined} />
      </Field>
      {followed.isError ? <ErrorMessage error={followed.error} /> : null}
    </div>
  );
}

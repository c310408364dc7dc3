/**
 * What a policy change would do, the dialog that makes it, and a queued re-grade followed to its end: shared by
 * classifications and app rules.
 */
import type { ReactNode } from 'react';
import {
  Body1,
  Button,
  Dialog,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  ProgressBar,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { useRegrade, type RegradeProgress as Progress } from '../api/classifications.js';
import { describeRegrade, regradeFrom } from '../logic.js';
import { DialogButtons, ErrorMessage, Loading, Notice, useClosable } from './common.js';

const useStyles = makeStyles({
  stack: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
});

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

/** The state of a query or mutation the dialog shows (as `@tanstack/react-query` gives it). */
interface Pending<T> {
  readonly isPending?: boolean;
  readonly isFetching?: boolean;
  readonly isSuccess?: boolean;
  readonly isError: boolean;
  readonly error: unknown;
  readonly data?: T | undefined;
}

export interface PolicyChangeDialogProps<T> {
  readonly title: ReactNode;
  readonly onClose: () => void;
  /** The form, or what the change is: above its impact. */
  readonly children?: ReactNode;
  /** The impact preview; undefined while there is nothing to preview (the change is not made yet, or is invalid). */
  readonly preview: Pending<ImpactPreview> | undefined;
  /** The save, reset or delete. */
  readonly change: Pending<T>;
  /** The success notice for the change's answer; `regrading` when a queued re-grade is followed below it. */
  readonly done: (answer: T, regrading: boolean) => { readonly title: string; readonly text: ReactNode };
  /** The primary button, also disabled while the change runs or its impact is not known yet. */
  readonly action: { readonly label: string; readonly pendingLabel: string; readonly disabled: boolean; readonly run: () => void };
}

/**
 * A policy change in a dialog: its impact first, then the change, its answer and the re-grade it started, followed
 * to its end; Close once done, else the action and Cancel.
 */
export function PolicyChangeDialog<T>({ title, onClose, children, preview, change, done, action }: PolicyChangeDialogProps<T>) {
  const { open, close } = useClosable(onClose);
  const styles = useStyles();
  // Once the change succeeded, its data is the answer (of type T, whatever T allows).
  const answer = change.isSuccess ? { value: change.data as T } : undefined;
  const regrade = answer ? regradeFrom(answer.value) : null;
  const notice = answer ? done(answer.value, regrade !== null) : null;
  return (
    <Dialog open={open} onOpenChange={(_, d) => (d.open ? undefined : close())}>
      <DialogSurface aria-describedby={undefined}>
        <DialogBody>
          <DialogTitle>{title}</DialogTitle>
          <DialogContent className={styles.stack}>
            {children}
            {preview?.isFetching ? <Loading label="Working out the impact…" /> : null}
            {preview?.isError ? <ErrorMessage error={preview.error} /> : null}
            {preview?.data && !change.isSuccess ? <Impact preview={preview.data} /> : null}
            {change.isError ? <ErrorMessage error={change.error} /> : null}
            {notice ? (
              <>
                <Notice intent="success" title={notice.title}>
                  {notice.text}
                </Notice>
                {regrade ? <RegradeProgress regrade={regrade} /> : null}
              </>
            ) : null}
          </DialogContent>
          <DialogButtons done={change.isSuccess === true} onClose={close}>
            <Button appearance="primary" disabled={action.disabled || change.isPending === true || (preview !== undefined && !preview.data)} onClick={action.run}>
              {change.isPending ? action.pendingLabel : action.label}
            </Button>
          </DialogButtons>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}

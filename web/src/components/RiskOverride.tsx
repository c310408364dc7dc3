/**
 * A device's risk override on its page: a banner while one is in force (its level, who set it, why, when it ends),
 * and the dialog that sets, replaces or ends it (full access only).
 */
import { useState } from 'react';
import {
  Body1,
  Button,
  Dialog,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  Input,
  Textarea,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import type { RiskLevel } from '../api/devices.js';
import { useEndOverride, useSetOverride, type Override } from '../api/overrides.js';
import { DialogButtons, ErrorMessage, Notice, When, useClosable } from './common.js';
import { RiskBadge } from './badges.js';
import { RiskLevelSelect } from './RiskLevelSelect.js';

const useStyles = makeStyles({
  stack: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
});

/** The longest an override may last (the API refuses more). */
const maxDays = 30;

/** A `datetime-local` value (the reader's own time zone) for a time. */
function localInputValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** Why an expiry cannot be used, or null. */
export function expiryProblem(value: string, now: Date): string | null {
  const at = new Date(value);
  if (value === '' || Number.isNaN(at.getTime())) return 'Choose when the override ends.';
  if (at.getTime() <= now.getTime()) return 'The end must be in the future.';
  if (at.getTime() > now.getTime() + maxDays * 86_400_000) return `An override lasts at most ${maxDays} days.`;
  return null;
}

export function OverrideBanner({ override }: { override: Override }) {
  return (
    <Notice intent="warning" title={`Risk override: this device counts as ${override.riskLevel}`}>
      <span aria-label="Risk override">
        Set by <strong>{override.createdBy}</strong> on <When at={override.createdAt} />, until <When at={override.expiresAt} />:{' '}
        <q>{override.reason}</q>. Intune and Entra ID are told <RiskBadge level={override.riskLevel} /> whatever the device&apos;s threats; at the
        end the device goes back to its threats&apos; level.
      </span>
    </Notice>
  );
}

export function OverrideDialog({ deviceId, current, onClose }: { deviceId: string; current: Override | undefined; onClose: () => void }) {
  const { open, close } = useClosable(onClose);
  const styles = useStyles();
  const [level, setLevel] = useState<RiskLevel>(current?.riskLevel ?? 'none');
  const [reason, setReason] = useState(current?.reason ?? '');
  const [expires, setExpires] = useState(localInputValue(current ? new Date(current.expiresAt) : new Date(Date.now() + 86_400_000)));
  const save = useSetOverride(deviceId);
  const end = useEndOverride(deviceId);
  const problem = expiryProblem(expires, new Date());
  const reasonProblem = reason.trim().length === 0 ? 'Say why.' : reason.length > 500 ? 'At most 500 characters.' : null;
  const done = save.isSuccess || end.isSuccess;
  return (
    <Dialog open={open} onOpenChange={(_, d) => (d.open ? undefined : close())}>
      <DialogSurface aria-describedby={undefined}>
        <DialogBody>
          <DialogTitle>{current ? 'Change the risk override' : 'Set a risk override'}</DialogTitle>
          <DialogContent className={styles.stack}>
            <Body1>While the override lasts, the device counts as the level you choose, whatever its threats; Intune and Entra ID are told at once.</Body1>
            <Field label="Risk level">
              <RiskLevelSelect value={level} disabled={done} onChange={setLevel} />
            </Field>
            <Field label="Reason" required validationState={reasonProblem && reason !== '' ? 'error' : 'none'} validationMessage={reason !== '' ? reasonProblem : undefined}>
              <Textarea value={reason} disabled={done} maxLength={500} onChange={(_, d) => setReason(d.value)} />
            </Field>
            <Field label="Ends" required validationState={problem ? 'error' : 'none'} validationMessage={problem}>
              <Input type="datetime-local" value={expires} disabled={done} onChange={(_, d) => setExpires(d.value)} />
            </Field>
            {save.isError ? <ErrorMessage error={save.error} /> : null}
            {end.isError ? <ErrorMessage error={end.error} /> : null}
            {save.data ? (
              <Notice intent="success" title="Override set">
                The device counts as {save.data.override.riskLevel} until <When at={save.data.override.expiresAt} />.
              </Notice>
            ) : null}
            {end.isSuccess ? <Notice intent="success" title="Override ended">The device is back at its threats&apos; level.</Notice> : null}
          </DialogContent>
          <DialogButtons done={done} onClose={close}>
            <Button
              appearance="primary"
              disabled={problem !== null || reasonProblem !== null || save.isPending}
              onClick={() => save.mutate({ riskLevel: level, reason: reason.trim(), expiresAt: new Date(expires).toISOString() })}
            >
              {save.isPending ? 'Saving…' : current ? 'Replace override' : 'Set override'}
            </Button>
            {current ? (
              <Button disabled={end.isPending} onClick={() => end.mutate()}>
                {end.isPending ? 'Ending…' : 'End override now'}
              </Button>
            ) : null}
          </DialogButtons>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}

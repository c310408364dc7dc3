/**
 * Connector settings: every field with its range, state sync, enforcement targets and error-report recipients.
 * The form checks the values with the API's own schema before sending, and shows the API's answer in words.
 */
import { useEffect, useState } from 'react';
import { Button, Field, Input, Select, Subtitle1, Switch, Textarea, makeStyles, tokens } from '@fluentui/react-components';
import { connectorSettingsUpdateSchema, entraAttributeNames, maxErrorReportRecipients } from '../../../shared/domain/connectorSettings.js';
import { useConnectorSettings, useSaveConnectorSettings, type ConnectorSettings, type ConnectorSettingsUpdate } from '../api/settings.js';
import { useSession } from '../context.js';
import { parseRecipients } from '../logic.js';
import { ErrorMessage, Notice, PageHeader } from '../components/common.js';
import { QueryState } from '../components/QueryState.js';

const useStyles = makeStyles({
  form: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalL, maxWidth: '40rem' },
  group: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS, border: 'none', padding: 0, margin: 0 },
});

interface Draft {
  heartbeatFrequencyMinutes: string;
  enrollmentPollMinutes: string;
  disconnectedAfterDays: string;
  deviceStatus: boolean;
  threatStatus: boolean;
  intunePartner: boolean;
  entraDeviceAttribute: string;
  recipients: string;
}

function draftOf(s: ConnectorSettings): Draft {
  return {
    heartbeatFrequencyMinutes: String(s.heartbeatFrequencyMinutes),
    enrollmentPollMinutes: String(s.enrollmentPollMinutes),
    disconnectedAfterDays: String(s.disconnectedAfterDays),
    deviceStatus: s.stateSync.deviceStatus,
    threatStatus: s.stateSync.threatStatus,
    intunePartner: s.enforcement.intunePartner,
    entraDeviceAttribute: s.enforcement.entraDeviceAttribute ?? '',
    recipients: s.errorReportRecipients.join('\n'),
  };
}

function toNumber(text: string): number {
  return text.trim() === '' ? Number.NaN : Number(text);
}

/** The PUT body of a draft, checked by the API's schema: field messages by path, or the body. */
export function checkDraft(draft: Draft): { body?: ConnectorSettingsUpdate; errors: Record<string, string> } {
  const candidate = {
    heartbeatFrequencyMinutes: toNumber(draft.heartbeatFrequencyMinutes),
    enrollmentPollMinutes: toNumber(draft.enrollmentPollMinutes),
    disconnectedAfterDays: toNumber(draft.disconnectedAfterDays),
    stateSync: { deviceStatus: draft.deviceStatus, threatStatus: draft.threatStatus },
    errorReportRecipients: parseRecipients(draft.recipients),
    enforcement: { intunePartner: draft.intunePartner, entraDeviceAttribute: draft.entraDeviceAttribute === '' ? null : draft.entraDeviceAttribute },
  };
  const parsed = connectorSettingsUpdateSchema.safeParse(candidate);
  if (parsed.success) return { body: parsed.data, errors: {} };
  const errors: Record<string, string> = {};
  for (const issue of parsed.error.issues) {
    const key = String(issue.path[0] ?? '');
    errors[key] ??= issue.path.length > 1 && key === 'errorReportRecipients' ? `${candidate.errorReportRecipients[Number(issue.path[1])] ?? ''}: ${issue.message}` : issue.message;
  }
  return { errors };
}

export function SettingsPage() {
  const { canWrite } = useSession();
  const styles = useStyles();
  const settings = useConnectorSettings();
  const [draft, setDraft] = useState<Draft | null>(null);
  useEffect(() => {
    if (settings.data && draft === null) setDraft(draftOf(settings.data));
  }, [settings.data, draft]);
  const save = useSaveConnectorSettings();
  const checked = draft ? checkDraft(draft) : { errors: {} as Record<string, string> };
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    save.reset();
    setDraft((d) => (d ? { ...d, [key]: value } : d));
  };
  const error = (key: string) => (checked.errors[key] ? { validationState: 'error' as const, validationMessage: checked.errors[key] } : {});

  return (
    <>
      <PageHeader title="Connector settings" description="How often devices check in, when they count as disconnected, and what Intune and Entra ID are told." />
      <QueryState query={settings} loading="Loading the settings…" readOnly />
      {draft ? (
        <form
          className={styles.form}
          onSubmit={(e) => {
            e.preventDefault();
            if (checked.body !== undefined) save.mutate(checked.body, { onSuccess: (saved) => setDraft(draftOf(saved)) });
          }}
        >
          <fieldset className={styles.group}>
            <legend>
              <Subtitle1>Devices</Subtitle1>
            </legend>
            <Field label="Check-in interval (minutes)" hint="5 to 1440; the agent checks in this often." {...error('heartbeatFrequencyMinutes')}>
              <Input type="number" min={5} max={1440} value={draft.heartbeatFrequencyMinutes} disabled={!canWrite} onChange={(_, d) => set('heartbeatFrequencyMinutes', d.value)} />
            </Field>
            <Field label="Enrollment poll interval (minutes)" hint="1 to 1440; how often the groups are read for new or departed users." {...error('enrollmentPollMinutes')}>
              <Input type="number" min={1} max={1440} value={draft.enrollmentPollMinutes} disabled={!canWrite} onChange={(_, d) => set('enrollmentPollMinutes', d.value)} />
            </Field>
            <Field label="Disconnected after (days)" hint="1 to 90 days without a check-in." {...error('disconnectedAfterDays')}>
              <Input type="number" min={1} max={90} value={draft.disconnectedAfterDays} disabled={!canWrite} onChange={(_, d) => set('disconnectedAfterDays', d.value)} />
            </Field>
          </fieldset>
          <fieldset className={styles.group}>
            <legend>
              <Subtitle1>State sync</Subtitle1>
            </legend>
            <Switch label="Send device status (activated, unresponsive, deactivated, pending)" checked={draft.deviceStatus} disabled={!canWrite} onChange={(_, d) => set('deviceStatus', d.checked)} />
            <Switch label="Send threat levels (secured, low, medium, high)" checked={draft.threatStatus} disabled={!canWrite} onChange={(_, d) => set('threatStatus', d.checked)} />
          </fieldset>
          <fieldset className={styles.group}>
            <legend>
              <Subtitle1>Enforcement</Subtitle1>
            </legend>
            <Switch label="Tell Intune (partner threat state)" checked={draft.intunePartner} disabled={!canWrite} onChange={(_, d) => set('intunePartner', d.checked)} />
            <Field label="Entra ID device attribute" hint="The extension attribute that receives each device's state, or none." {...error('enforcement')}>
              <Select value={draft.entraDeviceAttribute} disabled={!canWrite} onChange={(_, d) => set('entraDeviceAttribute', d.value)}>
                <option value="">None</option>
                {entraAttributeNames.map((name) => (
                  <option key={name} value={name}>
                    {name}
                  </option>
                ))}
              </Select>
            </Field>
          </fieldset>
          <fieldset className={styles.group}>
            <legend>
              <Subtitle1>Error reports</Subtitle1>
            </legend>
            <Field label="Recipients" hint={`Up to ${maxErrorReportRecipients} addresses in your organization’s verified domains, one per line.`} {...error('errorReportRecipients')}>
              <Textarea value={draft.recipients} disabled={!canWrite} resize="vertical" onChange={(_, d) => set('recipients', d.value)} />
            </Field>
          </fieldset>
          {save.isError ? <ErrorMessage error={save.error} title="The settings were not saved" /> : null}
          {save.isSuccess ? <Notice intent="success">Saved. The change is in the audit log.</Notice> : null}
          <div style={{ display: 'flex', gap: 8 }}>
            <Button type="submit" appearance="primary" disabled={!canWrite || checked.body === undefined || save.isPending}>
              {save.isPending ? 'Saving…' : 'Save'}
            </Button>
            <Button disabled={!canWrite} onClick={() => settings.data && setDraft(draftOf(settings.data))}>
              Undo changes
            </Button>
          </div>
        </form>
      ) : null}
    </>
  );
}

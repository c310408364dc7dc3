/**
 * Connector settings: every field with its range, state sync, enforcement targets, error-report recipients, agent
 * trust (key binding and attestation) and activation reminders.
 * The form checks the values with the API's own schema before sending, and shows the API's answer in words.
 */
import { useEffect, useState } from 'react';
import { Button, Field, Input, Select, Subtitle1, Switch, Textarea, makeStyles, tokens } from '@fluentui/react-components';
import { connectorSettingsUpdateSchema, entraAttributeNames, maxErrorReportRecipients } from '../../../shared/domain/connectorSettings.js';
import { useConnectorSettings, useSaveConnectorSettings, type ConnectorSettings, type ConnectorSettingsUpdate } from '../api/settings.js';
import { useFleetSummary } from '../api/fleet.js';
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
  keyBinding: ConnectorSettings['agentTrust']['keyBinding'];
  attestation: ConnectorSettings['agentTrust']['attestation'];
  activationReminderDays: string;
  agentInstallUrl: string;
}

const attestationModes: readonly { value: Draft['attestation']; label: string; hint: string }[] = [
  { value: 'off', label: 'Off', hint: 'Attestations are not checked; devices show “not checked”.' },
  {
    value: 'report',
    label: 'Report',
    hint: 'Every device activates; a failed attestation raises DEVICE_INTEGRITY_FAILED and a missing one DEVICE_INTEGRITY_UNVERIFIED on the device, graded and pushed like any threat.',
  },
  {
    value: 'required',
    label: 'Required',
    hint: 'Activation is refused unless the platform verifies the device and the app; the device stays pending and the refusal is an event (device.attestation_failed).',
  },
];

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
    keyBinding: s.agentTrust.keyBinding,
    attestation: s.agentTrust.attestation,
    activationReminderDays: String(s.activationReminderDays),
    agentInstallUrl: s.agentInstallUrl ?? '',
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
    agentTrust: { keyBinding: draft.keyBinding, attestation: draft.attestation },
    activationReminderDays: toNumber(draft.activationReminderDays),
    // An empty field means no install link.
    agentInstallUrl: draft.agentInstallUrl.trim() === '' ? null : draft.agentInstallUrl.trim(),
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
  const summary = useFleetSummary();
  const keyless = summary.data?.devices.trust.notKeyBound;
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
          <fieldset className={styles.group}>
            <legend>
              <Subtitle1>Agent trust</Subtitle1>
            </legend>
            <Field
              label="Device key binding"
              hint="Optional: devices may also activate without a device key (a bearer credential). Required: every device proves on each request that it holds the key it activated with."
            >
              <Select value={draft.keyBinding} disabled={!canWrite} onChange={(_, d) => set('keyBinding', d.value === 'required' ? 'required' : 'optional')}>
                <option value="optional">Optional</option>
                <option value="required">Required</option>
              </Select>
            </Field>
            {draft.keyBinding === 'required' && settings.data?.agentTrust.keyBinding !== 'required' ? (
              <Notice intent="warning" title="Keyless devices will activate again">
                {keyless === undefined
                  ? 'Devices activated without a device key'
                  : `${keyless} ${keyless === 1 ? 'device was' : 'devices were'} activated without a device key: they`}{' '}
                will be refused on their next request, and their agents must activate again (users may need to open the app).
              </Notice>
            ) : null}
            <Field label="Platform attestation" hint={attestationModes.find((m) => m.value === draft.attestation)?.hint}>
              <Select
                value={draft.attestation}
                disabled={!canWrite}
                onChange={(_, d) => set('attestation', attestationModes.find((m) => m.value === d.value)?.value ?? 'report')}
              >
                {attestationModes.map((mode) => (
                  <option key={mode.value} value={mode.value}>
                    {mode.label}
                  </option>
                ))}
              </Select>
            </Field>
          </fieldset>
          <fieldset className={styles.group}>
            <legend>
              <Subtitle1>Activation reminders</Subtitle1>
            </legend>
            <Field
              label="Remind after (days)"
              hint="0 to 30; 0 turns reminders off. A user whose device has been pending this many days gets a mail, again every this many days, at most 3 times."
              {...error('activationReminderDays')}
            >
              <Input type="number" min={0} max={30} value={draft.activationReminderDays} disabled={!canWrite} onChange={(_, d) => set('activationReminderDays', d.value)} />
            </Field>
            <Field label="Agent install link" hint="An https address where users install the agent, given in the reminder; leave empty for none." {...error('agentInstallUrl')}>
              <Input type="url" value={draft.agentInstallUrl} disabled={!canWrite} placeholder="https://" onChange={(_, d) => set('agentInstallUrl', d.value)} />
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

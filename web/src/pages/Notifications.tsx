/**
 * The signed-in user's own threat alert levels. Personal, not tenant configuration: the API lets full and
 * restricted users alike change their own.
 */
import { useEffect, useState } from 'react';
import { Body1, Button, Checkbox, makeStyles, tokens } from '@fluentui/react-components';
import { useNotificationPreferences, useSaveNotificationPreferences, type NotificationPreferences } from '../api/notifications.js';
import { ErrorMessage, Notice, PageHeader } from '../components/common.js';
import { QueryState } from '../components/QueryState.js';

const useStyles = makeStyles({
  form: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS, maxWidth: '36rem', border: 'none', padding: 0, margin: 0 },
});

type Levels = NotificationPreferences['levels'];

export function NotificationsPage() {
  const styles = useStyles();
  const prefs = useNotificationPreferences();
  const [levels, setLevels] = useState<Levels | null>(null);
  useEffect(() => {
    if (prefs.data && levels === null) setLevels(prefs.data.levels);
  }, [prefs.data, levels]);
  const save = useSaveNotificationPreferences();
  const toggle = (level: keyof Levels, on: boolean) => {
    save.reset();
    setLevels((l) => (l ? { ...l, [level]: on } : l));
  };
  return (
    <>
      <PageHeader title="Notifications" description="Which new threats are mailed to you. These are your own settings; nobody else's change." />
      <QueryState query={prefs} loading="Loading your preferences…" />
      {prefs.data && levels ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate({ email: prefs.data.email, levels }, { onSuccess: (saved) => setLevels(saved.levels) });
          }}
        >
          <fieldset className={styles.form}>
            <legend>
              <Body1>
                Mail <strong>{prefs.data.email}</strong> when a device reports a new threat of risk:
              </Body1>
            </legend>
            <Checkbox label="High" checked={levels.high} onChange={(_, d) => toggle('high', d.checked === true)} />
            <Checkbox label="Medium" checked={levels.medium} onChange={(_, d) => toggle('medium', d.checked === true)} />
            <Checkbox label="Low" checked={levels.low} onChange={(_, d) => toggle('low', d.checked === true)} />
            {save.isError ? <ErrorMessage error={save.error} title="Your preferences were not saved" /> : null}
            {save.isSuccess ? <Notice intent="success">Saved.</Notice> : null}
            <div>
              <Button type="submit" appearance="primary" disabled={save.isPending}>
                {save.isPending ? 'Saving…' : 'Save'}
              </Button>
            </div>
          </fieldset>
        </form>
      ) : null}
    </>
  );
}

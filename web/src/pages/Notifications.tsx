/**
 * The signed-in user's own threat alert levels. Personal, not tenant configuration: the API lets full and
 * restricted users alike change their own.
 */
import { useEffect, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Body1, Button, Checkbox, makeStyles, tokens } from '@fluentui/react-components';
import { keys } from '../api/hooks.js';
import type { NotificationPreferences } from '../api/types.js';
import { useSession } from '../context.js';
import { ErrorMessage, Loading, Notice, PageHeader } from '../components/common.js';

const useStyles = makeStyles({
  form: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS, maxWidth: '36rem', border: 'none', padding: 0, margin: 0 },
});

type Levels = NotificationPreferences['levels'];

export function NotificationsPage() {
  const { api } = useSession();
  const styles = useStyles();
  const client = useQueryClient();
  const prefs = useQuery({ queryKey: keys.notifications, queryFn: () => api.get<NotificationPreferences>('v1/console/me/notifications') });
  const [levels, setLevels] = useState<Levels | null>(null);
  useEffect(() => {
    if (prefs.data && levels === null) setLevels(prefs.data.levels);
  }, [prefs.data, levels]);
  const save = useMutation({
    mutationFn: (next: Levels) => api.send<NotificationPreferences>('PUT', 'v1/console/me/notifications', { email: prefs.data?.email, levels: next }),
    onSuccess: (saved) => {
      client.setQueryData(keys.notifications, saved);
      setLevels(saved.levels);
    },
  });
  const toggle = (level: keyof Levels, on: boolean) => {
    save.reset();
    setLevels((l) => (l ? { ...l, [level]: on } : l));
  };
  return (
    <>
      <PageHeader title="Notifications" description="Which new threats are mailed to you. These are your own settings; nobody else's change." />
      {prefs.isPending ? <Loading label="Loading your preferences…" /> : null}
      {prefs.isError ? <ErrorMessage error={prefs.error} /> : null}
      {prefs.data && levels ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate(levels);
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

/**
 * Webhooks (CONTRACT.md): list, create (the signing secret is shown once), edit, delete, send a test event,
 * rotate the secret, and the delivery log with redelivery. "Not available on this server" while the API has no
 * such routes.
 */
import { useState } from 'react';
import {
  Badge,
  Body1,
  Button,
  Caption1,
  Checkbox,
  Dialog,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  Input,
  Subtitle1,
  Switch,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { isNotAvailable } from '../api/client.js';
import { eventTypes, isEventType, type EventType } from '../api/events.js';
import {
  useDeleteWebhook,
  useRedeliver,
  useRotateWebhookSecret,
  useSaveWebhook,
  useTestWebhook,
  useWebhookDeliveries,
  useWebhooks,
  type Webhook,
} from '../api/webhooks.js';
import { useSession } from '../context.js';
import { DialogButtons, ErrorMessage, NotAvailable, Notice, PageHeader, When, useClosable } from '../components/common.js';
import { QueryState } from '../components/QueryState.js';

const useStyles = makeStyles({
  stack: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
  types: { display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(14rem, 1fr))' },
  secret: { fontFamily: tokens.fontFamilyMonospace, overflowWrap: 'anywhere', backgroundColor: tokens.colorNeutralBackground3, padding: tokens.spacingHorizontalS },
  actions: { display: 'flex', gap: tokens.spacingHorizontalXS, flexWrap: 'wrap' },
  wrap: { overflowWrap: 'anywhere' },
});

interface Draft {
  url: string;
  types: EventType[];
  description: string;
  enabled: boolean;
}

function SecretOnce({ secret, what }: { secret: string; what: string }) {
  const styles = useStyles();
  return (
    <Notice intent="warning" title={`${what}: copy it now`}>
      This signing secret is shown only once.
      <div className={styles.secret} aria-label="Signing secret">
        {secret}
      </div>
    </Notice>
  );
}

function WebhookDialog({ existing, onClose }: { existing: Webhook | null; onClose: () => void }) {
  const { open, close } = useClosable(onClose);
  const styles = useStyles();
  const [draft, setDraft] = useState<Draft>({
    url: existing?.url ?? '',
    types: existing?.types.filter(isEventType) ?? [...eventTypes],
    description: existing?.description ?? '',
    enabled: existing?.enabled ?? true,
  });
  const save = useSaveWebhook(existing);
  const submit = () =>
    save.mutate({ url: draft.url.trim(), types: draft.types, enabled: draft.enabled, ...(draft.description.trim() ? { description: draft.description.trim() } : {}) });
  const toggleType = (type: EventType, on: boolean) => setDraft((d) => ({ ...d, types: on ? [...d.types, type] : d.types.filter((t) => t !== type) }));
  return (
    <Dialog open={open} onOpenChange={(_, d) => (d.open ? undefined : close())}>
      <DialogSurface aria-describedby={undefined}>
        <DialogBody>
          <DialogTitle>{existing ? 'Edit webhook' : 'New webhook'}</DialogTitle>
          <DialogContent className={styles.stack}>
            {save.data && 'secret' in save.data ? (
              <SecretOnce secret={save.data.secret} what="Webhook created" />
            ) : (
              <>
                <Field label="URL" hint="HTTPS endpoint that receives the events." required>
                  <Input type="url" value={draft.url} onChange={(_, d) => setDraft({ ...draft, url: d.value })} />
                </Field>
                <Field label="Description">
                  <Input value={draft.description} onChange={(_, d) => setDraft({ ...draft, description: d.value })} />
                </Field>
                <fieldset style={{ border: 'none', padding: 0, margin: 0 }}>
                  <legend>Events to send</legend>
                  <div className={styles.types}>
                    {eventTypes.map((type) => (
                      <Checkbox key={type} label={type} checked={draft.types.includes(type)} onChange={(_, d) => toggleType(type, d.checked === true)} />
                    ))}
                  </div>
                </fieldset>
                <Switch label="Enabled" checked={draft.enabled} onChange={(_, d) => setDraft({ ...draft, enabled: d.checked })} />
                {save.isError ? <ErrorMessage error={save.error} title="The webhook was not saved" /> : null}
                {save.isSuccess ? <Notice intent="success">Saved.</Notice> : null}
              </>
            )}
          </DialogContent>
          <DialogButtons done={save.isSuccess} onClose={close}>
            <Button appearance="primary" disabled={draft.url.trim() === '' || draft.types.length === 0 || save.isPending} onClick={submit}>
              {save.isPending ? 'Saving…' : existing ? 'Save' : 'Create'}
            </Button>
          </DialogButtons>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}

function Deliveries({ webhook }: { webhook: Webhook }) {
  const { canWrite } = useSession();
  const deliveries = useWebhookDeliveries(webhook.id);
  const redeliver = useRedeliver(webhook.id);
  return (
    <section aria-label={`Deliveries to ${webhook.url}`}>
      <Subtitle1 as="h2">Deliveries to {webhook.url}</Subtitle1>
      <QueryState query={deliveries} loading="Loading deliveries…" />
      {redeliver.isError ? <ErrorMessage error={redeliver.error} title="Not redelivered" /> : null}
      {deliveries.data ? (
        <Table aria-label="Deliveries" size="small">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Event</TableHeaderCell>
              <TableHeaderCell>Status</TableHeaderCell>
              <TableHeaderCell>Attempts</TableHeaderCell>
              <TableHeaderCell>Status codes</TableHeaderCell>
              <TableHeaderCell>Next attempt</TableHeaderCell>
              <TableHeaderCell>
                <span className="visually-hidden">Actions</span>
              </TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {deliveries.data.items.map((d) => (
              <TableRow key={d.id}>
                <TableCell>{d.eventType}</TableCell>
                <TableCell>
                  {d.status}
                  {d.failure ? <Caption1 block>{d.failure}</Caption1> : null}
                </TableCell>
                <TableCell>{d.attempts.length}</TableCell>
                <TableCell>{d.attempts.map((a) => a.statusCode ?? a.error ?? '—').join(', ') || '—'}</TableCell>
                <TableCell>
                  <When at={d.nextAttemptAt} />
                </TableCell>
                <TableCell>
                  <Button size="small" disabled={!canWrite || redeliver.isPending} onClick={() => redeliver.mutate(d.id)}>
                    Redeliver
                  </Button>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      ) : null}
      {deliveries.data?.items.length === 0 ? <Caption1>No deliveries yet.</Caption1> : null}
    </section>
  );
}

export function WebhooksPage() {
  const { canWrite } = useSession();
  const styles = useStyles();
  const [editing, setEditing] = useState<Webhook | null | 'new'>(null);
  const [showing, setShowing] = useState<Webhook | null>(null);
  const [rotated, setRotated] = useState<string | null>(null);
  const list = useWebhooks();
  const remove = useDeleteWebhook();
  const test = useTestWebhook();
  const rotate = useRotateWebhookSecret();
  const rotateSecret = (id: string) => rotate.mutate(id, { onSuccess: (answer) => setRotated(answer.secret) });

  if (list.isError && isNotAvailable(list.error)) {
    return (
      <>
        <PageHeader title="Webhooks" description="Send the connector's events to your own endpoints." />
        <NotAvailable feature="Webhooks" />
      </>
    );
  }
  const items = list.data?.items ?? [];
  return (
    <>
      <PageHeader
        title="Webhooks"
        description="Send the connector's events to your own endpoints, signed with a secret (at most 10)."
        actions={
          <Button appearance="primary" disabled={!canWrite || items.length >= 10} onClick={() => setEditing('new')}>
            New webhook
          </Button>
        }
      />
      <QueryState query={list} loading="Loading webhooks…" readOnly />
      {[remove, test, rotate].map((m, i) => (m.isError ? <ErrorMessage key={i} error={m.error} /> : null))}
      {test.isSuccess ? <Notice intent="success">Test event sent: see the deliveries.</Notice> : null}
      {rotated ? <SecretOnce secret={rotated} what="New secret (the old one still signs for 24 hours)" /> : null}
      {list.data && items.length === 0 ? <Body1>No webhooks yet.</Body1> : null}
      {items.length > 0 ? (
        <Table aria-label="Webhooks" size="small">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>URL</TableHeaderCell>
              <TableHeaderCell>Events</TableHeaderCell>
              <TableHeaderCell>State</TableHeaderCell>
              <TableHeaderCell>
                <span className="visually-hidden">Actions</span>
              </TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {items.map((w) => (
              <TableRow key={w.id}>
                <TableCell className={styles.wrap}>
                  {w.url}
                  {w.description ? <Caption1 block>{w.description}</Caption1> : null}
                </TableCell>
                <TableCell className={styles.wrap}>{w.types.join(', ')}</TableCell>
                <TableCell>
                  <Badge appearance="tint" color={!w.enabled ? 'subtle' : w.failingSince ? 'warning' : 'success'}>
                    {!w.enabled ? 'disabled' : w.failingSince ? 'failing' : 'enabled'}
                  </Badge>
                  {w.disabledReason ? <Caption1 block>{w.disabledReason}</Caption1> : null}
                  {w.lastFailure ? <Caption1 block>Last failure: {w.lastFailure}</Caption1> : null}
                </TableCell>
                <TableCell>
                  <div className={styles.actions}>
                    <Button size="small" onClick={() => setShowing(w)}>
                      Deliveries
                    </Button>
                    <Button size="small" disabled={!canWrite} onClick={() => setEditing(w)}>
                      Edit
                    </Button>
                    <Button size="small" disabled={!canWrite || test.isPending} onClick={() => test.mutate(w.id)}>
                      Send test
                    </Button>
                    <Button size="small" disabled={!canWrite || rotate.isPending} onClick={() => rotateSecret(w.id)}>
                      Rotate secret
                    </Button>
                    <Button
                      size="small"
                      disabled={!canWrite || remove.isPending}
                      onClick={() => {
                        if (window.confirm(`Delete the webhook to ${w.url}?`)) remove.mutate(w.id);
                      }}
                    >
                      Delete
                    </Button>
                  </div>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      ) : null}
      {showing ? <Deliveries webhook={showing} /> : null}
      {editing ? <WebhookDialog existing={editing === 'new' ? null : editing} onClose={() => setEditing(null)} /> : null}
    </>
  );
}

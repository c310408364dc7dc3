/**
 * Enrollment groups: each with its resolution status (resolved with member count, case mismatch, not found,
 * ambiguous); add, remove, and sync now with its outcome.
 */
import { useState } from 'react';
import {
  Badge,
  Body1,
  Button,
  Field,
  Input,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import {
  useAddEnrollmentGroup,
  useEnrollmentGroups,
  useRemoveEnrollmentGroup,
  useSyncNow,
  type EnrollmentGroup,
  type SyncNowResponse,
} from '../api/enrollmentGroups.js';
import { useSession } from '../context.js';
import { ErrorMessage, Loading, Notice, PageHeader, ReadOnlyNotice, When } from '../components/common.js';
import { QueryState } from '../components/QueryState.js';

const useStyles = makeStyles({
  add: { display: 'flex', gap: tokens.spacingHorizontalM, alignItems: 'flex-end', flexWrap: 'wrap', margin: `${tokens.spacingVerticalM} 0` },
  wrap: { overflowWrap: 'anywhere' },
});

const statusColor: Record<EnrollmentGroup['status'], 'success' | 'warning' | 'danger' | 'informative' | 'subtle'> = {
  resolved: 'success',
  'case-mismatch': 'warning',
  'not-found': 'danger',
  ambiguous: 'warning',
  unavailable: 'informative',
  unchecked: 'subtle',
};

/** The outcome of a sync, in words. */
export function SyncOutcome({ outcome }: { outcome: SyncNowResponse }) {
  const f = outcome.figures;
  const intent = outcome.status === 'failed' ? 'error' : outcome.result === 'partial' || outcome.status !== 'completed' ? 'warning' : 'success';
  const title =
    outcome.status === 'completed'
      ? outcome.result === 'partial'
        ? 'Sync finished, but a group did not resolve'
        : 'Sync finished'
      : outcome.status === 'failed'
        ? 'Sync failed'
        : outcome.status === 'already-running'
          ? 'A sync is already running'
          : 'Sync is still running';
  return (
    <Notice intent={intent} title={title}>
      {outcome.error ? `${outcome.error} ` : ''}
      {f ? `${f.members} members, ${f.managedDevices} managed devices; ${f.discovered} discovered, ${f.deactivated} deactivated.` : ''}
      {outcome.status === 'running' || outcome.status === 'already-running' ? ' Its result shows here and in the device list when it ends.' : ''}
    </Notice>
  );
}

export function EnrollmentPage() {
  const { canWrite } = useSession();
  const styles = useStyles();
  const [name, setName] = useState('');
  const groups = useEnrollmentGroups();
  const add = useAddEnrollmentGroup();
  const remove = useRemoveEnrollmentGroup();
  const sync = useSyncNow();

  return (
    <>
      <PageHeader
        title="Enrollment"
        description="The Entra ID groups whose users' phones the connector protects, by display name."
        actions={
          <Button appearance="primary" disabled={!canWrite || sync.isPending} onClick={() => sync.mutate()}>
            {sync.isPending ? 'Syncing…' : 'Sync now'}
          </Button>
        }
      />
      <ReadOnlyNotice />
      {sync.isPending ? <Loading label="Reading the groups and their devices from Microsoft Graph…" /> : null}
      {sync.isError ? <ErrorMessage error={sync.error} title="Sync did not start" /> : null}
      {sync.data ? <SyncOutcome outcome={sync.data} /> : null}
      <form
        className={styles.add}
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim() !== '') add.mutate(name.trim(), { onSuccess: () => setName('') });
        }}
      >
        <Field label="Group display name" hint="Exactly as in Entra ID, e.g. MTD-Pilot">
          <Input value={name} onChange={(_, d) => setName(d.value)} disabled={!canWrite} maxLength={256} />
        </Field>
        <Button type="submit" disabled={!canWrite || name.trim() === '' || add.isPending}>
          {add.isPending ? 'Adding…' : 'Add group'}
        </Button>
      </form>
      {add.isError ? <ErrorMessage error={add.error} title="The group was not added" /> : null}
      {remove.isError ? <ErrorMessage error={remove.error} title="The group was not removed" /> : null}
      <QueryState query={groups} loading="Resolving the groups…" />
      {groups.data && groups.data.items.length === 0 ? <Body1>No enrollment groups yet: add one, then sync.</Body1> : null}
      {groups.data && groups.data.items.length > 0 ? (
        <Table aria-label="Enrollment groups" size="small">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Group</TableHeaderCell>
              <TableHeaderCell>Status</TableHeaderCell>
              <TableHeaderCell>Members</TableHeaderCell>
              <TableHeaderCell>What it means</TableHeaderCell>
              <TableHeaderCell>Checked</TableHeaderCell>
              <TableHeaderCell>
                <span className="visually-hidden">Actions</span>
              </TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {groups.data.items.map((group) => (
              <TableRow key={group.displayName}>
                <TableCell className={styles.wrap}>{group.displayName}</TableCell>
                <TableCell>
                  <Badge appearance="tint" color={statusColor[group.status]}>
                    {group.status}
                  </Badge>
                </TableCell>
                <TableCell>{group.memberCount ?? '—'}</TableCell>
                <TableCell className={styles.wrap}>
                  {group.detail}
                  {group.suggestions && group.suggestions.length > 0 ? ` Did you mean ${group.suggestions.join(' or ')}?` : ''}
                </TableCell>
                <TableCell>
                  <When at={group.checkedAt} />
                </TableCell>
                <TableCell>
                  <Button
                    size="small"
                    disabled={!canWrite || remove.isPending}
                    aria-label={`Remove ${group.displayName}`}
                    onClick={() => {
                      if (window.confirm(`Remove the enrollment group ${group.displayName}? Its users' devices are deactivated at the next sync unless another group holds them.`)) {
                        remove.mutate(group.displayName);
                      }
                    }}
                  >
                    Remove
                  </Button>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      ) : null}
    </>
  );
}

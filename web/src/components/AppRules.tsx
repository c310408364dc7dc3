/**
 * App rules on the policy page: a package's own risk level, instead of its threats' classification (`none` allows an
 * app the policy would flag, `high` denies one it would not). Adding, changing or deleting a rule shows its impact
 * first, then follows the re-grade it starts.
 */
import { useState } from 'react';
import {
  Body1,
  Button,
  Field,
  Input,
  Subtitle1,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Textarea,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { packageNamePattern, useAppRulePreview, useAppRules, useDeleteAppRule, useSetAppRule, type AppRule } from '../api/appRules.js';
import type { RiskLevel } from '../api/devices.js';
import { useSession } from '../context.js';
import { RiskBadge } from './badges.js';
import { When } from './common.js';
import { QueryState } from './QueryState.js';
import { PolicyChangeDialog } from './Regrade.js';
import { RiskLevelSelect } from './RiskLevelSelect.js';

const useStyles = makeStyles({
  section: { marginBottom: tokens.spacingVerticalXL },
  header: { display: 'flex', alignItems: 'center', justifyContent: 'space-between', gap: tokens.spacingHorizontalM },
});

function RuleDialog({ rule, onClose }: { rule: AppRule | null; onClose: () => void }) {
  const [packageName, setPackageName] = useState(rule?.packageName ?? '');
  const [level, setLevel] = useState<RiskLevel>(rule?.riskLevel ?? 'none');
  const [reason, setReason] = useState(rule?.reason ?? '');
  const validName = packageNamePattern.test(packageName);
  const changedLevel = rule === null || level !== rule.riskLevel;
  const preview = useAppRulePreview(packageName, level, validName && changedLevel);
  const save = useSetAppRule();
  const reasonOk = reason.trim().length > 0 && reason.length <= 500;
  return (
    <PolicyChangeDialog
      title={rule ? `App rule for ${rule.packageName}` : 'Add an app rule'}
      onClose={onClose}
      preview={validName && changedLevel ? preview : undefined}
      change={save}
      done={(answer) => ({ title: 'Saved', text: `Threats of ${answer.item?.packageName ?? packageName} now count as ${answer.item?.riskLevel ?? level}.` })}
      action={{
        label: 'Save',
        pendingLabel: 'Saving…',
        disabled: !validName || !reasonOk,
        run: () => save.mutate({ packageName, riskLevel: level, reason: reason.trim() }),
      }}
    >
      <Field
        label="Package name"
        required
        hint="The Android application id or iOS bundle id, exactly as the agent reports it."
        validationState={packageName !== '' && !validName ? 'error' : 'none'}
        validationMessage={packageName !== '' && !validName ? 'Letters, digits, "_", "-" and "." only.' : undefined}
      >
        <Input value={packageName} disabled={rule !== null || save.isSuccess} onChange={(_, d) => setPackageName(d.value.trim())} />
      </Field>
      <Field label="Risk level" hint="none allows the app; high denies it.">
        <RiskLevelSelect value={level} disabled={save.isSuccess} onChange={setLevel} />
      </Field>
      <Field label="Reason" required>
        <Textarea value={reason} maxLength={500} disabled={save.isSuccess} onChange={(_, d) => setReason(d.value)} />
      </Field>
    </PolicyChangeDialog>
  );
}

function DeleteDialog({ rule, onClose }: { rule: AppRule; onClose: () => void }) {
  const preview = useAppRulePreview(rule.packageName, null, true);
  const remove = useDeleteAppRule();
  return (
    <PolicyChangeDialog
      title={`Delete the app rule for ${rule.packageName}`}
      onClose={onClose}
      preview={preview}
      change={remove}
      done={() => ({ title: 'Deleted', text: `The rule for ${rule.packageName} is gone.` })}
      action={{ label: 'Delete', pendingLabel: 'Deleting…', disabled: false, run: () => remove.mutate(rule.packageName) }}
    >
      <Body1>Its threats will count as their classification says again.</Body1>
    </PolicyChangeDialog>
  );
}

export function AppRulesSection() {
  const { canWrite } = useSession();
  const styles = useStyles();
  const list = useAppRules();
  const [editing, setEditing] = useState<AppRule | null | undefined>(undefined);
  const [deleting, setDeleting] = useState<AppRule | null>(null);
  const items = list.data?.items ?? [];
  const full = list.data ? items.length >= list.data.limit : false;
  return (
    <section className={styles.section} aria-labelledby="app-rules">
      <div className={styles.header}>
        <Subtitle1 as="h2" id="app-rules">
          App rules
        </Subtitle1>
        <Button disabled={!canWrite || full || !list.data} onClick={() => setEditing(null)}>
          Add app rule…
        </Button>
      </div>
      <Body1 as="p">
        A threat whose package has a rule counts as the rule says instead of its classification: allow your own app the policy flags, or deny one it
        does not.{list.data ? ` ${items.length} of at most ${list.data.limit} rules.` : ''}
      </Body1>
      <QueryState query={list} loading="Loading the app rules…" readOnly />
      {list.data && items.length === 0 ? <Body1>No app rules yet.</Body1> : null}
      {items.length > 0 ? (
        <Table aria-labelledby="app-rules" size="small">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Package</TableHeaderCell>
              <TableHeaderCell>Risk level</TableHeaderCell>
              <TableHeaderCell>Reason</TableHeaderCell>
              <TableHeaderCell>Changed</TableHeaderCell>
              <TableHeaderCell>
                <span className="visually-hidden">Actions</span>
              </TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {items.map((rule) => (
              <TableRow key={rule.packageName}>
                <TableCell style={{ overflowWrap: 'anywhere' }}>{rule.packageName}</TableCell>
                <TableCell>
                  <RiskBadge level={rule.riskLevel} />
                </TableCell>
                <TableCell>{rule.reason}</TableCell>
                <TableCell>
                  {rule.updatedBy}, <When at={rule.updatedAt} />
                </TableCell>
                <TableCell>
                  <Button size="small" disabled={!canWrite} aria-label={`Change the app rule for ${rule.packageName}`} onClick={() => setEditing(rule)}>
                    Change…
                  </Button>{' '}
                  <Button size="small" disabled={!canWrite} aria-label={`Delete the app rule for ${rule.packageName}`} onClick={() => setDeleting(rule)}>
                    Delete…
                  </Button>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      ) : null}
      {editing !== undefined ? <RuleDialog rule={editing} onClose={() => setEditing(undefined)} /> : null}
      {deleting ? <DeleteDialog rule={deleting} onClose={() => setDeleting(null)} /> : null}
    </section>
  );
}

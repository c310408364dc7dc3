/**
 * The threat classification policy: every classification by category with its risk level; a change shows its
 * impact (how many devices would change level, and which) before it is saved; reset to the defaults likewise.
 * A save that answers with a queued re-grade job is followed until it completes.
 */
import { useState } from 'react';
import {
  Button,
  Field,
  Subtitle1,
  Body1,
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
  useClassifications,
  useRegradePreview,
  useResetClassifications,
  useSetClassificationLevel,
  type ClassificationItem,
} from '../api/classifications.js';
import type { RiskLevel } from '../api/devices.js';
import { useSession } from '../context.js';
import { describeChanged, policyChangesToDefaults } from '../logic.js';
import { RiskBadge } from '../components/badges.js';
import { PageHeader } from '../components/common.js';
import { QueryState } from '../components/QueryState.js';
import { AppRulesSection } from '../components/AppRules.js';
import { PolicyChangeDialog } from '../components/Regrade.js';
import { RiskLevelSelect } from '../components/RiskLevelSelect.js';

const useStyles = makeStyles({
  section: { marginBottom: tokens.spacingVerticalXL },
});

const categories = [
  { key: 'application', title: 'Application threats' },
  { key: 'device', title: 'Device threats' },
  { key: 'network', title: 'Network threats' },
  { key: 'web', title: 'Web threats' },
] as const;

function EditDialog({ item, onClose }: { item: ClassificationItem; onClose: () => void }) {
  const [level, setLevel] = useState<RiskLevel>(item.riskLevel);
  const changed = level !== item.riskLevel;
  const preview = useRegradePreview({ [item.classification]: level }, changed);
  const save = useSetClassificationLevel(item.classification);
  return (
    <PolicyChangeDialog
      title={`Risk level of ${item.classification}`}
      onClose={onClose}
      preview={changed ? preview : undefined}
      change={save}
      done={(answer, regrading) => ({
        title: 'Saved',
        text: `${item.classification} now counts as ${answer.item.riskLevel}.${regrading ? '' : ` ${describeChanged(answer)}`}`,
      })}
      action={{ label: 'Save', pendingLabel: 'Saving…', disabled: !changed, run: () => save.mutate(level) }}
    >
      <Body1>
        Default: <RiskBadge level={item.defaultRiskLevel} /> · now: <RiskBadge level={item.riskLevel} />
      </Body1>
      <Field label="New risk level">
        <RiskLevelSelect value={level} disabled={save.isSuccess} onChange={setLevel} />
      </Field>
      {!changed ? <Body1>Choose another level to see its impact.</Body1> : null}
    </PolicyChangeDialog>
  );
}

function ResetDialog({ items, onClose }: { items: ClassificationItem[]; onClose: () => void }) {
  const changes = policyChangesToDefaults(items);
  const count = Object.keys(changes).length;
  const preview = useRegradePreview(changes, count > 0);
  const reset = useResetClassifications();
  return (
    <PolicyChangeDialog
      title="Reset the policy to its defaults"
      onClose={onClose}
      preview={count > 0 ? preview : undefined}
      change={reset}
      done={(answer, regrading) => ({ title: 'Reset', text: `Every classification has its default level.${regrading ? '' : ` ${describeChanged(answer)}`}` })}
      action={{ label: 'Reset to defaults', pendingLabel: 'Resetting…', disabled: count === 0, run: () => reset.mutate() }}
    >
      <Body1>
        {count === 0 ? 'Every classification already has its default level.' : `${count} classification${count === 1 ? '' : 's'} would go back to the default level.`}
      </Body1>
    </PolicyChangeDialog>
  );
}

export function PolicyPage() {
  const { canWrite } = useSession();
  const styles = useStyles();
  const list = useClassifications();
  const [editing, setEditing] = useState<ClassificationItem | null>(null);
  const [resetting, setResetting] = useState(false);
  const items = list.data?.items ?? [];
  return (
    <>
      <PageHeader
        title="Threat policy"
        description="How much each kind of threat counts. A device's risk level is the highest level among its open threats; an app rule for a threat's package comes before its classification, and a device's risk override before both."
        actions={
          <Button disabled={!canWrite || items.length === 0} onClick={() => setResetting(true)}>
            Reset to defaults…
          </Button>
        }
      />
      <QueryState query={list} loading="Loading the policy…" readOnly />
      {categories.map((category) => {
        const rows = items.filter((i) => i.category === category.key);
        if (rows.length === 0) return null;
        return (
          <section key={category.key} className={styles.section} aria-labelledby={`cat-${category.key}`}>
            <Subtitle1 as="h2" id={`cat-${category.key}`}>
              {category.title}
            </Subtitle1>
            <Table aria-labelledby={`cat-${category.key}`} size="small">
              <TableHeader>
                <TableRow>
                  <TableHeaderCell>Classification</TableHeaderCell>
                  <TableHeaderCell>Risk level</TableHeaderCell>
                  <TableHeaderCell>Default</TableHeaderCell>
                  <TableHeaderCell>
                    <span className="visually-hidden">Actions</span>
                  </TableHeaderCell>
                </TableRow>
              </TableHeader>
              <TableBody>
                {rows.map((item) => (
                  <TableRow key={item.classification}>
                    <TableCell>{item.classification}</TableCell>
                    <TableCell>
                      <RiskBadge level={item.riskLevel} />
                      {item.riskLevel !== item.defaultRiskLevel ? ' (changed)' : ''}
                    </TableCell>
                    <TableCell>{item.defaultRiskLevel}</TableCell>
                    <TableCell>
                      <Button size="small" disabled={!canWrite} aria-label={`Change the risk level of ${item.classification}`} onClick={() => setEditing(item)}>
                        Change…
                      </Button>
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </section>
        );
      })}
      <AppRulesSection />
      {editing ? <EditDialog item={editing} onClose={() => setEditing(null)} /> : null}
      {resetting ? <ResetDialog items={items} onClose={() => setResetting(false)} /> : null}
    </>
  );
}

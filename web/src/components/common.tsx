/** Small pieces every page uses: loading, errors in words, page headings, read-only notices, dialog buttons. */
import { useState, type ReactNode } from 'react';
import { Button, DialogActions, MessageBar, MessageBarBody, MessageBarTitle, Spinner, Title2, Body1, makeStyles, tokens } from '@fluentui/react-components';
import { ApiError, describeError } from '../api/client.js';
import { useSession } from '../context.js';

const useStyles = makeStyles({
  header: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalXS, marginBottom: tokens.spacingVerticalL },
  description: { color: tokens.colorNeutralForeground2 },
});

export function PageHeader({ title, description, actions }: { title: string; description?: string; actions?: ReactNode }) {
  const styles = useStyles();
  return (
    <header className={styles.header}>
      <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', gap: 12, flexWrap: 'wrap' }}>
        <Title2 as="h1">{title}</Title2>
        {actions}
      </div>
      {description ? <Body1 className={styles.description}>{description}</Body1> : null}
    </header>
  );
}

export function Loading({ label }: { label: string }) {
  return <Spinner size="small" label={label} labelPosition="after" />;
}

/** An error from the API or the network, in words, with the API's title. */
export function ErrorMessage({ error, title }: { error: unknown; title?: string }) {
  const heading = title ?? (error instanceof ApiError ? error.title : 'Something went wrong');
  return (
    <MessageBar intent="error" role="alert">
      <MessageBarBody>
        <MessageBarTitle>{heading}</MessageBarTitle>
        {describeError(error)}
      </MessageBarBody>
    </MessageBar>
  );
}

export function Notice({ intent = 'info', title, children }: { intent?: 'info' | 'warning' | 'success' | 'error'; title?: string; children: ReactNode }) {
  return (
    <MessageBar intent={intent} role={intent === 'error' ? 'alert' : 'status'}>
      <MessageBarBody>
        {title ? <MessageBarTitle>{title}</MessageBarTitle> : null}
        {children}
      </MessageBarBody>
    </MessageBar>
  );
}

/** Says the page is read-only, to users with restricted access only. */
export function ReadOnlyNotice() {
  const { canWrite } = useSession();
  if (canWrite) return null;
  return (
    <Notice title="Read-only">
      Your access to this console is restricted: you can see everything, but changes need full access.
    </Notice>
  );
}

/** The "not available on this server" state of features the API does not offer yet. */
export function NotAvailable({ feature }: { feature: string }) {
  return (
    <Notice intent="warning" title="Not available on this server">
      {feature} is not offered by this server yet. This page lights up once the service is updated.
    </Notice>
  );
}

/** A date and time in the reader's locale, or a dash. */
export function When({ at }: { at: string | null | undefined }) {
  if (!at) return <span>—</span>;
  const date = new Date(at);
  return <time dateTime={at}>{Number.isNaN(date.getTime()) ? at : date.toLocaleString()}</time>;
}

/**
 * When the focused control inside a dialog was replaced (Save becoming Close), Fluent's focus manager can leave the
 * app hidden from assistive technology after the dialog closes: give it back once the dialog has left the page (its
 * exit animation takes longer on a busy machine, so look again for a few seconds).
 */
function giveBackTheApp(triesLeft = 50): void {
  if (!document.querySelector('[role="dialog"], [role="alertdialog"]')) {
    document.getElementById('root')?.removeAttribute('aria-hidden');
    return;
  }
  if (triesLeft > 0) window.setTimeout(() => giveBackTheApp(triesLeft - 1), 100);
}

/**
 * A dialog shown while its component is mounted: it closes through Fluent's own close (so the page behind it is
 * given back to screen readers and the keyboard) and only then lets the parent unmount it.
 */
export function useClosable(onClosed: () => void): { open: boolean; close: () => void } {
  const [open, setOpen] = useState(true);
  return {
    open,
    close: () => {
      setOpen(false);
      window.setTimeout(() => {
        onClosed();
        giveBackTheApp();
      }, 400);
    },
  };
}

/** A dialog's buttons: Close once its change is done, else its own actions, then Cancel. */
export function DialogButtons({ done, onClose, children }: { done: boolean; onClose: () => void; children: ReactNode }) {
  return (
    <DialogActions>
      {done ? (
        <Button appearance="primary" onClick={onClose}>
          Close
        </Button>
      ) : (
        <>
          {children}
          <Button onClick={onClose}>Cancel</Button>
        </>
      )}
    </DialogActions>
  );
}

/** A button that downloads a CSV export, and says in words when the download failed. */
import { useState } from 'react';
import { Button, Caption1 } from '@fluentui/react-components';
import { describeError } from '../api/client.js';

export function ExportButton({ label, download }: { label: string; download: () => Promise<void> }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = () => {
    setBusy(true);
    setError(null);
    download()
      .catch((caught: unknown) => setError(describeError(caught)))
      .finally(() => setBusy(false));
  };
  return (
    <span>
      <Button onClick={run} disabled={busy}>
        {busy ? 'Preparing…' : label}
      </Button>
      {error ? <Caption1 role="alert"> {error}</Caption1> : null}
    </span>
  );
}

/** Start-up: settings, sign-in state (including the answer of a sign-in redirect), then the app. */
// First: before any module that parses with zod is evaluated.
import './jitless.js';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router-dom';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { FluentProvider, webLightTheme } from '@fluentui/react-components';
import { loadConfig } from './config.js';
import { createAuth } from './auth.js';
import { App } from './App.js';
import { describeError } from './api/client.js';

const root = createRoot(document.getElementById('root') ?? document.body);

function StartFailure({ error }: { error: unknown }) {
  return (
    <main style={{ fontFamily: 'Segoe UI, system-ui, sans-serif', maxWidth: '40rem', margin: '4rem auto', padding: '0 1rem' }}>
      <h1>The console could not start</h1>
      <p role="alert">{describeError(error)}</p>
      <p>
        If you run the service locally, your browser must trust the simulated sign-in service&apos;s certificate: open it once
        and accept it, or trust <code>.local/tls/ca.crt</code>.
      </p>
    </main>
  );
}

async function start(): Promise<void> {
  try {
    const config = await loadConfig();
    const auth = await createAuth(config);
    const queries = new QueryClient({ defaultOptions: { queries: { refetchOnWindowFocus: false, staleTime: 15_000 } } });
    root.render(
      <StrictMode>
        <FluentProvider theme={webLightTheme} style={{ minHeight: '100vh' }}>
          <QueryClientProvider client={queries}>
            <BrowserRouter>
              <App auth={auth} apiBaseUrl={config.apiBaseUrl} providerTenantId={config.providerTenantId} />
            </BrowserRouter>
          </QueryClientProvider>
        </FluentProvider>
      </StrictMode>,
    );
  } catch (error) {
    root.render(<StartFailure error={error} />);
  }
}

void start();

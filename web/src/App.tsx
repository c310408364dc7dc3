/**
 * The console's frame: sign-in, the caller's access (GET /api/v1/console/me; a clear refusal when they have none),
 * navigation, and the pages. Users of the provider's own tenant (`providerTenantId` in the console's settings) are
 * also asked whether they are provider support (the server's answer to a one-row read of the provider's tenant list):
 * those get the Tenants and Usage pages. Everyone else never sees them, and their routes say so.
 */
import { useMemo, useState } from 'react';
import { NavLink, Navigate, Route, Routes } from 'react-router-dom';
import {
  Badge,
  Body1,
  Button,
  Caption1,
  Card,
  Link,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Title1,
  Title3,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { AuthorityUnreachable, type Auth } from './auth.js';
import { createApiClient, ApiError } from './api/client.js';
import { useMe } from './api/me.js';
import { useProviderAccess } from './api/provider.js';
import { SessionContext, type Session } from './context.js';
import { ErrorMessage, Loading } from './components/common.js';
import { OverviewPage } from './pages/Overview.js';
import { DevicesPage } from './pages/Devices.js';
import { DeviceDetailPage } from './pages/DeviceDetail.js';
import { pages, providerPages } from './pages/registry.js';

const useStyles = makeStyles({
  shell: { display: 'grid', gridTemplateColumns: '13rem minmax(0, 1fr)', minHeight: '100vh', '@media (max-width: 900px)': { gridTemplateColumns: '1fr' } },
  nav: {
    backgroundColor: tokens.colorNeutralBackground2,
    borderRight: `1px solid ${tokens.colorNeutralStroke2}`,
    padding: `${tokens.spacingVerticalL} ${tokens.spacingHorizontalS}`,
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalXXS,
  },
  navLink: {
    color: tokens.colorNeutralForeground1,
    textDecoration: 'none',
    padding: `${tokens.spacingVerticalS} ${tokens.spacingHorizontalM}`,
    borderRadius: tokens.borderRadiusMedium,
    ':hover': { backgroundColor: tokens.colorNeutralBackground2Hover },
    ':focus-visible': { outline: `2px solid ${tokens.colorStrokeFocus2}` },
  },
  navActive: { backgroundColor: tokens.colorNeutralBackground1Selected, fontWeight: tokens.fontWeightSemibold },
  main: { padding: `${tokens.spacingVerticalL} ${tokens.spacingHorizontalXXL}`, minWidth: 0, display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
  top: { display: 'flex', justifyContent: 'space-between', alignItems: 'center', gap: tokens.spacingHorizontalM, flexWrap: 'wrap' },
  centre: { display: 'flex', justifyContent: 'center', alignItems: 'center', minHeight: '100vh', padding: tokens.spacingHorizontalL },
  card: { maxWidth: '32rem', padding: tokens.spacingHorizontalXXL, display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
  skip: { position: 'absolute', left: '-999px', ':focus': { left: tokens.spacingHorizontalS, top: tokens.spacingVerticalS, zIndex: 10 } },
});

/** Why sign-in could not start; for an unreachable authority, the one step that fixes it on a local run. */
function SignInFailure({ error }: { error: unknown }) {
  if (!(error instanceof AuthorityUnreachable)) return <ErrorMessage title="Sign-in could not start" error={error} />;
  const origin = new URL(error.authorityUrl).origin;
  return (
    <MessageBar intent="error" role="alert" layout="multiline">
      <MessageBarBody>
        <MessageBarTitle>The sign-in service cannot be reached</MessageBarTitle>
        This browser could not connect to {origin}, most likely because it does not trust that site's certificate. On a
        local run (<code>npm run dev</code>) the simulated Entra ID's certificate comes from the local certificate
        authority <code>.local/tls/ca.crt</code>: open{' '}
        <Link href={error.authorityUrl} target="_blank" rel="noreferrer">
          {origin}
        </Link>{' '}
        once and accept its certificate, or import <code>.local/tls/ca.crt</code> into your browser's trusted
        certificates. Then sign in again.
      </MessageBarBody>
    </MessageBar>
  );
}

function SignInPage({ auth }: { auth: Auth }) {
  const styles = useStyles();
  const [failure, setFailure] = useState<unknown>(null);
  const signIn = () => {
    setFailure(null);
    auth.signIn().catch((error: unknown) => setFailure(error));
  };
  return (
    <main className={styles.centre}>
      <Card className={styles.card}>
        <Title1 as="h1">MTD Connector</Title1>
        <Body1>Sign in with your work account to see your organization's mobile devices, threats and connector settings.</Body1>
        {auth.redirectError ? <ErrorMessage title="Sign-in did not complete" error={new Error(auth.redirectError)} /> : null}
        {failure !== null ? <SignInFailure error={failure} /> : null}
        <Button appearance="primary" onClick={signIn}>
          Sign in
        </Button>
      </Card>
    </main>
  );
}

function Refusal({ error, auth }: { error: unknown; auth: Auth }) {
  const styles = useStyles();
  const forbidden = error instanceof ApiError && error.status === 403;
  return (
    <main className={styles.centre}>
      <Card className={styles.card}>
        <Title3 as="h1">{forbidden ? 'You do not have access to this console' : 'The console could not start'}</Title3>
        <ErrorMessage error={error} title={forbidden ? 'Access refused' : undefined} />
        {forbidden ? (
          <Body1>Ask your administrator to add you to the console's full-access or restricted-access group, then sign in again.</Body1>
        ) : null}
        <Caption1>Signed in as {auth.account?.username ?? 'unknown'}.</Caption1>
        <Button onClick={() => void auth.signOut()}>Sign out</Button>
      </Card>
    </main>
  );
}

/** A provider page asked for by someone who is not provider support. */
function ProviderOnly() {
  return (
    <MessageBar intent="warning" role="alert">
      <MessageBarBody>
        <MessageBarTitle>Not available</MessageBarTitle>
        This page is for the service provider&apos;s support staff.
      </MessageBarBody>
    </MessageBar>
  );
}

function Shell({ session }: { session: Session }) {
  const styles = useStyles();
  const { me } = session;
  const navPages = [...(me ? pages : []), ...(session.provider ? providerPages : [])];
  return (
    <SessionContext.Provider value={session}>
      <a href="#main" className={styles.skip}>
        Skip to content
      </a>
      <div className={styles.shell}>
        <nav className={styles.nav} aria-label="Console">
          <Title3 as="p" style={{ padding: '0 12px 12px' }}>
            MTD Connector
          </Title3>
          {navPages.map((page) => (
            <NavLink key={page.path} to={page.path} end={page.path === '/'} className={({ isActive }) => `${styles.navLink} ${isActive ? styles.navActive : ''}`}>
              {page.title}
            </NavLink>
          ))}
        </nav>
        <main id="main" className={styles.main} tabIndex={-1}>
          <div className={styles.top}>
            <div />
            <div style={{ display: 'flex', alignItems: 'center', gap: 8, flexWrap: 'wrap' }}>
              <Body1>{me?.name ?? session.userName}</Body1>
              {me ? (
                <Badge appearance="tint" color={me.access === 'full' ? 'brand' : 'informative'}>
                  {me.access === 'full' ? 'Full access' : 'Read-only'}
                </Badge>
              ) : null}
              {session.provider ? (
                <Badge appearance="tint" color="important">
                  Provider support
                </Badge>
              ) : null}
              <Button size="small" onClick={() => session.signOut()}>
                Sign out
              </Button>
            </div>
          </div>
          <Routes>
            {me ? (
              <>
                <Route path="/" element={<OverviewPage />} />
                <Route path="/devices" element={<DevicesPage />} />
                <Route path="/devices/:deviceId" element={<DeviceDetailPage />} />
                {pages
                  .filter((p) => p.element)
                  .map((p) => (
                    <Route key={p.path} path={p.path} element={p.element} />
                  ))}
              </>
            ) : (
              <Route path="/" element={<Navigate to="/tenants" replace />} />
            )}
            {providerPages.flatMap((p) =>
              p.routes.map((r) => <Route key={r.path} path={r.path} element={session.provider ? r.element : <ProviderOnly />} />),
            )}
            <Route path="*" element={<Navigate to="/" replace />} />
          </Routes>
        </main>
      </div>
    </SessionContext.Provider>
  );
}

export function App({ auth, apiBaseUrl, providerTenantId }: { auth: Auth; apiBaseUrl: string; providerTenantId?: string | undefined }) {
  const api = useMemo(() => createApiClient(apiBaseUrl, () => auth.token()), [apiBaseUrl, auth]);
  const me = useMe(api, auth.account !== null);
  // Only users of the provider's own tenant are asked; customer admins never call a provider route.
  const inProviderTenant = auth.account !== null && providerTenantId !== undefined && auth.account.tenantId.toLowerCase() === providerTenantId;
  const provider = useProviderAccess(api, inProviderTenant);
  const styles = useStyles();
  if (!auth.account) return <SignInPage auth={auth} />;
  if (me.isPending || (inProviderTenant && provider.isPending)) {
    return (
      <main className={styles.centre}>
        <Loading label="Checking your access…" />
      </main>
    );
  }
  const isProvider = inProviderTenant && provider.data === true;
  if (me.isError && !isProvider) return <Refusal error={me.error} auth={auth} />;
  const session: Session = {
    api,
    me: me.data ?? null,
    canWrite: me.data?.access === 'full',
    provider: isProvider,
    userName: auth.account.name ?? auth.account.username,
    signOut: () => void auth.signOut(),
  };
  return <Shell session={session} />;
}

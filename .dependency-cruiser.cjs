/**
 * The layers of shared/ (docs/DESIGN.md, "Layers inside shared/"), checked by `npm run lint`:
 * every import points down, and nothing imports in a circle.
 *
 *   0 base          shared/base, shared/domain, shared/telemetry
 *   1 adapters      shared/storage, graph, http, tokens, queues, sendgrid, attestation
 *   2 ports         shared/ports.ts
 *   3 records       shared/tenants, events, jobs, slices, audit, errorReports, alerts
 *   4 capabilities  auth → devices → compliance → enrollment, heartbeat, webhooks, onboarding → mail, console → health
 *                   → provider
 *   5 app           shared/app (the composition root and the dispatchers)
 *
 * A capability imports only the capabilities before it (those of the same rank are apart).
 */
const base = ['base', 'domain', 'telemetry'];
const adapters = ['storage', 'graph', 'http', 'tokens', 'queues', 'sendgrid', 'attestation'];
const records = ['tenants', 'events', 'jobs', 'slices', 'audit', 'errorReports', 'alerts'];
const capabilities = [['auth'], ['devices'], ['compliance'], ['enrollment', 'heartbeat', 'webhooks', 'onboarding'], ['mail', 'console'], ['health'], ['provider']];

const folders = (names) => `^shared/(${names.join('|')})/`;
const ports = '^shared/ports\\.ts$';
const app = '^shared/app/';
const allCapabilities = capabilities.flat();

/** A rule that forbids imports from `from` to `to`, with the reason said once. */
function forbid(name, comment, from, to) {
  return { name, comment, severity: 'error', from: { path: from }, to: { path: to } };
}

const capabilityRules = capabilities.flatMap((rank, index) => {
  const later = capabilities.slice(index + 1).flat();
  return rank.map((folder) => {
    const apart = [...rank.filter((other) => other !== folder), ...later];
    return forbid(
      `capability-${folder}`,
      `shared/${folder}/ may import only the capabilities before it (${capabilities.slice(0, index).flat().join(', ') || 'none'}), never ${apart.join(', ')}.`,
      `^shared/${folder}/`,
      [folders(apart), app],
    );
  });
});

module.exports = {
  forbidden: [
    { name: 'no-circular', comment: 'Imports never run in a circle.', severity: 'error', from: {}, to: { circular: true } },
    forbid('base-layer', 'Layer 0 (base, domain, telemetry) imports only itself.', folders(base), ['^shared/(?!base/|domain/|telemetry/)', '^(functions|dev|web|test|bench)/']),
    forbid('adapter-layer', 'Layer 1 (adapters) imports only layers 0 and 1.', folders(adapters), [ports, folders(records), folders(allCapabilities), app]),
    forbid('ports-layer', 'Layer 2 (ports) imports only layers 0 to 2.', ports, [folders(records), folders(allCapabilities), app]),
    forbid('record-layer', 'Layer 3 (records) imports only layers 0 to 3.', folders(records), [folders(allCapabilities), app]),
    ...capabilityRules,
    forbid('shared-is-below-functions', 'shared/ never imports functions/, dev/, web/, test/ or bench/.', '^shared/', '^(functions|dev|web|test|bench)/'),
    {
      name: 'shared-without-functions-runtime',
      comment: 'Nothing in shared/ imports @azure/functions: the functions/ layer maps triggers.',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '@azure/functions' },
    },
    forbid('functions-not-dev', 'functions/ (deployed) never imports dev/, web/, test/ or bench/.', '^functions/', '^(dev|web|test|bench)/'),
    forbid('handlers-below-catalog', 'A function file never imports the catalog or the registration; the catalog imports the handlers.', '^functions/(?!catalog\\.ts$|index\\.ts$)', '^functions/(catalog|index)\\.ts$'),
    forbid('web-reads-the-contract', 'The console reads the API through its generated client; of the server it may bundle only shared/domain.', '^web/', ['^shared/(?!domain/)', '^(functions|dev|test|bench)/']),
    {
      name: 'no-unresolvable',
      comment: 'Every relative import names a file that exists.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, path: '^\\.' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|\\.local|coverage)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    reporterOptions: { text: { highlightFocused: true } },
  },
};

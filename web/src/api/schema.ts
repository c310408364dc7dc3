/**
 * The console API's types, generated from the service's OpenAPI document by `npm run gen:api` (dev/openapiClient.ts).
 * Do not edit: change the routes' schemas on the server and run `npm run gen:api` again.
 */

export interface paths {
  "/api/consent/callback": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Where Entra ID returns the administrator after admin consent; marks the tenant active.
     * @description Checks `error` first (Entra ID sends `admin_consent=True` on errors too), then the signed, single-use, expiring `state` and the tenant it is bound to, then `admin_consent=True` and `tenant`, then proves the consent by obtaining an app-only token for the tenant from Entra ID and checking that its `roles` hold every Microsoft Graph application permission the connector needs (an app present in the tenant without them gets a token all the same; the page names what is missing). Answers an HTML page either way; on any failure nothing is changed (503 when Entra ID could not be asked: reload to retry). A tenant already active is never re-associated.
     */
    get: operations["getConsentCallback"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/consent/start": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Starts admin consent: redirects the tenant administrator's browser to Entra ID's adminconsent endpoint.
     * @description Only through the `consentUrl` that provisioning returned: it carries `sig`, a signature for that tenant, and works until consent completes for the tenant (then it answers a 410 page and starts nothing). Answers 302 to `{ENTRA_AUTHORITY_HOST}/{tenantId}/v2.0/adminconsent` with a signed, single-use `state` valid for 10 minutes. Without a valid signature the answer is the same 404 page for every tenant id, provisioned or not.
     */
    get: operations["getConsentStart"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/health": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Liveness: the service answers and reports its version. */
    get: operations["getHealth"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/openapi.json": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The OpenAPI 3.1 document of every route, generated from the schemas that validate requests. */
    get: operations["getOpenapiJson"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/app-rules": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Every app rule of the organization: a threat whose `packageName` has a rule takes the rule's level instead of its classification's. */
    get: operations["getConsoleAppRules"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/app-rules/{packageName}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    /**
     * Creates or replaces the app rule of a package and starts the re-grade of the devices with an open threat of it.
     * @description A threat whose `packageName` matches exactly takes the rule's `riskLevel` instead of its classification's: `none` allows an app the policy would flag, `high` denies one it would not. The rule is saved before the answer, which carries `regrade`, the queued job re-grading the devices with an open threat of that package (follow it with `GET /api/v1/console/threat-classifications/regrades/{id}`); agents' reports use the rule within seconds. At most 1,000 rules per organization (409 beyond). Full access only; audited (`appRule.put`).
     */
    put: operations["putConsoleAppRulesPackageName"];
    post?: never;
    /**
     * Deletes a package's app rule and starts the re-grade of the devices with an open threat of it.
     * @description Threats of the package are graded by their classification again. Answers with `regrade`, the queued job (as a classification change does). Full access only; audited (`appRule.delete`).
     */
    delete: operations["deleteConsoleAppRulesPackageName"];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/app-rules/preview": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * How many devices would change risk level if a package's rule were set (or removed, `riskLevel: null`). Changes nothing.
     * @description Reads only the devices with an open threat of that package (the package index). Both access levels.
     */
    post: operations["postConsoleAppRulesPreview"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/audit-log": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Who changed what and when, with before and after, newest first; full access only. */
    get: operations["getConsoleAuditLog"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/audit-log/export": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The whole audit log, newest first, as CSV; full access only.
     * @description `text/csv; charset=utf-8`, RFC 4180, a header row (`at, actor, action, target, before, after`; before and after as JSON), then every entry, streamed as it is read. A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'` (no formula injection).
     */
    get: operations["getConsoleAuditLogExport"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/connector": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The tenant's connector settings (defaults for anything never set). */
    get: operations["getConsoleConnector"];
    /**
     * Changes connector settings: a partial update (fields given replace the current ones); full access only.
     * @description Unknown fields and out-of-range values are refused with 400 and nothing is changed. Every change is audited.
     */
    put: operations["putConsoleConnector"];
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/coverage": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Enrollment coverage: per enrollment group and in total, devices by status and pending devices by how long they have waited.
     * @description Shows who has not activated the agent. A device counts in the groups through which discovery last found its user. Complete for any fleet size (read from counters kept with the device writes).
     */
    get: operations["getConsoleCoverage"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/devices": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Lists the organization's devices, optionally filtered by status, risk level and platform, a page at a time. */
    get: operations["getConsoleDevices"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/devices/{deviceId}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * One device: its state, its active threats, and what Intune and Entra ID were last told and when.
     * @description `intune` is Intune's own view of the device (`complianceState`, `partnerReportedThreatState`, `lastSyncDateTime`), read from Graph (`GET /deviceManagement/managedDevices/{id}`) when the page asks, reused for at most 5 minutes and limited per organization; when it cannot be read now it is null and `intuneUnavailable` says why.
     */
    get: operations["getConsoleDevicesDeviceId"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/devices/{deviceId}/override": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    /**
     * Sets a risk override on a device: its risk level is the override's until `expiresAt`, whatever its threats.
     * @description A time-boxed exception with a reason (1 to 500 characters), ending at `expiresAt` (in the future, at most 30 days ahead). The device's risk level follows at once and Intune and Entra ID are told it; at `expiresAt` (pushed within 5 minutes) or on `DELETE` the device goes back to the level its threats give it. A PUT replaces the current override. Full access only; audited (`device.override.set`); events `device.override_started` (and `device.override_ended` for an override it replaces).
     */
    put: operations["putConsoleDevicesDeviceIdOverride"];
    post?: never;
    /**
     * Ends a device's risk override now: the device goes back to the level its threats give it.
     * @description Intune and Entra ID are told the device's level at once. Full access only; audited (`device.override.end`); event `device.override_ended` with `endedBy` naming the user.
     */
    delete: operations["deleteConsoleDevicesDeviceIdOverride"];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/devices/{deviceId}/timeline": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * One device's history, newest first: its events, every push to Intune or Entra ID, overrides, activations and credential rotations.
     * @description Read from rows kept with the device (not by filtering the tenant feed). Event entries carry the same `eventId` as the feed; push entries say the value told and the answer. Paged with `cursor` and `limit`.
     */
    get: operations["getConsoleDevicesDeviceIdTimeline"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/devices/export": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Every device matching the filters (not a page), as CSV.
     * @description `text/csv; charset=utf-8`, RFC 4180, a header row (`deviceId, intuneDeviceId, deviceName, userPrincipalName, platform, osVersion, status, riskLevel, openThreats, overrideRiskLevel, attestation, lastCheckInAt, activatedAt, discoveredAt`), then every matching device, streamed as it is read. A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'` (no formula injection).
     */
    get: operations["getConsoleDevicesExport"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/enrollment-groups": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The enrollment groups, each resolved through Microsoft Graph (a resolution is reused for up to a minute). */
    get: operations["getConsoleEnrollmentGroups"];
    put?: never;
    /** Adds an enrollment group by its display name (exactly, case included); full access only. */
    post: operations["postConsoleEnrollmentGroups"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/enrollment-groups/{displayName}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /** Removes an enrollment group by display name (exact, URL-encoded); full access only. */
    delete: operations["deleteConsoleEnrollmentGroupsDisplayName"];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/enrollment/sync": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Runs enrollment discovery for your organization now (full access).
     * @description Queues discovery for your organization: a worker resolves the enrollment groups, reads their users and the Intune iOS/Android devices, and updates the device list, usually within seconds. The answer is 202 `queued` at once, whatever the size of the organization; the run shows in the devices, the enrollment groups and the health when it ends.
     */
    post: operations["postConsoleEnrollmentSync"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/health": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The connector's health for this tenant: consent, discovery, the Intune connector, the push backlog, dead letters, webhooks.
     * @description Each check is `healthy`, `degraded` or `unhealthy`; `status` is the worst of them. Reports are kept for up to 30 seconds, so polling is cheap. A change of `status` is recorded as a `connector.health_changed` event and in the error report mailed to the tenant's recipients.
     */
    get: operations["getConsoleHealth"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/me": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The signed-in console user: tenant, user id and access level. */
    get: operations["getConsoleMe"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/me/notifications": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The caller's own threat alert preferences: their own address as Entra ID knows it, and the levels (default: every level off). */
    get: operations["getConsoleMeNotifications"];
    /**
     * Replaces the caller's own threat alert preferences (full and restricted users alike).
     * @description Alerts go to the caller's own address as Entra ID knows it (the token's `email` or `preferred_username`, else Graph's `mail`). `email` may be omitted; one naming another address is refused with 400. Alerts go only to users still in the full or restricted group when the mail is sent.
     */
    put: operations["putConsoleMeNotifications"];
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/summary": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The whole fleet at a glance: devices by status, risk level and agent trust, and open threats by classification.
     * @description Complete and exact for any fleet size: read from counters kept with every device and threat write (a rollup and the changes since it), never by reading the devices. `byRisk` counts the devices that are not deactivated; `total` every device; `trust` the activated ones.
     */
    get: operations["getConsoleSummary"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/threat-classifications": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Every threat classification with its category, current risk level and default risk level. */
    get: operations["getConsoleThreatClassifications"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/threat-classifications/{classification}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    /**
     * Changes a classification's risk level and starts the re-grade of every open threat of it as a queued job.
     * @description The level is saved before the answer, which comes within a second whatever the fleet size, with `regrade`: a job that re-grades the devices with an open threat of this classification through the `device-slices` queue, in slices that run side by side. Devices whose level changes are pushed to Intune and Entra ID, and a rise to an alerting level queues an alert. Follow the job with `GET /api/v1/console/threat-classifications/regrades/{id}` (poll every few seconds until `status` is `completed`; `devicesChanged` and `devicesTotal` grow meanwhile). A PUT of the level already in force changes nothing but still re-grades. Full access only; audited.
     */
    put: operations["putConsoleThreatClassificationsClassification"];
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/threat-classifications/preview": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** How many devices would change risk level under the given levels, by old→new level, with a sample. Changes nothing. */
    post: operations["postConsoleThreatClassificationsPreview"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/threat-classifications/regrades/{id}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Follows a re-grade job started by a classification PUT or reset.
     * @description Poll this with the `regrade.id` of a PUT or reset answer (every 2 to 5 seconds is plenty) until `status` is `completed`. While `running`, `devicesTotal` counts the devices with an open threat of the changed classification(s) found so far and `devicesChanged` those whose risk level changed so far; both are final once `completed`. Slices start a few seconds after the change (once every instance uses the new policy). Both access levels.
     */
    get: operations["getConsoleThreatClassificationsRegradesId"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/threat-classifications/reset": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Every classification back to its default risk level; answers like the PUT, with the re-grade job of the affected devices. Full access only; audited. */
    post: operations["postConsoleThreatClassificationsReset"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/webhooks": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The tenant's webhook endpoints (never their secrets). */
    get: operations["getConsoleWebhooks"];
    put?: never;
    /**
     * Adds a webhook endpoint (at most 10 per tenant); full access only. The answer carries its signing secret, shown only now.
     * @description Deliveries are signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`). The URL must be https, and its host must not be, or resolve to, a private, loopback or link-local address (unless listed in WEBHOOK_ALLOWED_PRIVATE_HOSTS).
     */
    post: operations["postConsoleWebhooks"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/webhooks/{id}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** One webhook endpoint (never its secret). */
    get: operations["getConsoleWebhooksId"];
    put?: never;
    post?: never;
    /** Deletes an endpoint; full access only. Deliveries still scheduled for it stop. */
    delete: operations["deleteConsoleWebhooksId"];
    options?: never;
    head?: never;
    /** Changes an endpoint (url, types, description, enabled); full access only. */
    patch: operations["patchConsoleWebhooksId"];
    trace?: never;
  };
  "/api/v1/console/webhooks/{id}/deliveries": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** An endpoint's delivery log, newest first: event, attempts with status codes, next attempt. */
    get: operations["getConsoleWebhooksIdDeliveries"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/webhooks/{id}/deliveries/{deliveryId}/redeliver": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Delivers a logged event again (same event id, a new round of attempts); full access only. */
    post: operations["postConsoleWebhooksIdDeliveriesDeliveryIdRedeliver"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/webhooks/{id}/rotate-secret": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** A new signing secret, shown only now; the previous one keeps signing (a second signature) for 24 hours. Full access only. */
    post: operations["postConsoleWebhooksIdRotateSecret"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/console/webhooks/{id}/test": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Sends a `webhook.test` event to this endpoint (whatever its types), at most 10 a minute per endpoint; full access only. */
    post: operations["postConsoleWebhooksIdTest"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/device/activate": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Activates the agent on a device discovered for the signed-in user and returns the device's credential.
     * @description Takes the user's Entra ID access token. Only a device discovered for that user in that tenant can be activated; activating again rotates the credential (the previous one stops working), replaces the bound key and restarts the report sequence. Agent trust: with `deviceKey` (and the `challenge` it requires) the credential is bound to the key (`tokenType: "DPoP"`); `attestation` is judged under the tenant's `agentTrust.attestation`: `off` checks nothing, `report` activates whatever the verdict and raises `DEVICE_INTEGRITY_FAILED` (failed) or `DEVICE_INTEGRITY_UNVERIFIED` (absent) on the device until a verified activation, `required` refuses anything but a verified attestation (403, event `device.attestation_failed`, the device unchanged). Under `agentTrust.keyBinding: required` an activation without `deviceKey` is refused (400).
     */
    post: operations["postDeviceActivate"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/device/challenge": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Issues a single-use activation challenge for the signed-in user (agent trust: key binding and attestation).
     * @description Takes the user's Entra ID access token, as activation does. The challenge (base64url, 32 random bytes) is valid 5 minutes, for this user in this tenant only, and is used up by the activation that presents it, whatever its outcome. The agent creates its device key with it as the attestation challenge (Android) or hashes it with the key's thumbprint into the App Attest clientDataHash (iOS). A user holds at most 4 unused challenges; a newer one may replace an older.
     */
    post: operations["postDeviceChallenge"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/device/heartbeat": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * The agent checks in; a disconnected device becomes active again; a credential near its expiry is rotated.
     * @description Too many heartbeats from one device answer 429 with Retry-After. A device credential lives `DEVICE_CREDENTIAL_DAYS` (90 by default). Within 7 days of its expiry the answer also carries `deviceToken` and `deviceTokenExpiresAt`: the new credential, to be used from then on; the presented one keeps working for 24 hours after the rotation (a heartbeat with it within those hours receives the same new credential again), then only the new one. An expired credential, or a replaced one after its 24 hours, is refused with 401: the agent activates again with its user's token. A key-bound device sends `Authorization: DPoP` and a `DPoP` proof; a rotated credential stays bound to the same key.
     */
    post: operations["postDeviceHeartbeat"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/device/threat-report": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * The agent reports the complete set of threats active on the device now.
     * @description A report whose `sequence` is not above the last applied one, or whose `reportId` was already received, changes nothing and answers 200 with `applied: false`. At most 500 threats and 64 KiB per report; too many reports from one device answer 429 with Retry-After. The service's own classifications (`DEVICE_INTEGRITY_FAILED`, `DEVICE_INTEGRITY_UNVERIFIED`) are refused (400) and stay open whatever the agent reports. Key-bound devices send `Authorization: DPoP` and a `DPoP` proof (see the security schemes).
     */
    post: operations["postDeviceThreatReport"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/events": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The tenant's events, oldest first (threats, device changes, enforcement failures, audit entries, health changes). Console users (full or restricted), or an app-only token of the tenant with the `Events.Read` app role. `audit.recorded` events are for full-access users and `Events.Read` applications only.
     * @description Page with `after` = `nextCursor` of the previous answer; an empty page keeps the same `nextCursor`. With `wait`, answers as soon as a first event arrives. Events are kept at least `EVENT_RETENTION_DAYS` (30) days. Each event has a stable `id`, the same as in webhook deliveries (`webhook-id`). Beyond the contract, for people reading the feed (the web console): `order=newest` answers the newest events first, and `nextCursor` (passed as `before`) goes to older ones; it is `null` once the oldest kept event was served.
     */
    get: operations["getEvents"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/provider/audit-log": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * What provider support did (provisioning, offboarding started and completed), by whom, newest first.
     * @description The actor is the signed-in user (`kind: user`), the application (`application`) or the function key (`functionKey`). The provider's own record: entries stay after the tenant they name was offboarded.
     */
    get: operations["getProviderAuditLog"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/provider/tenants": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Every tenant with its status, health and device counts, filtered by status and health, a page at a time.
     * @description Read from a provider-wide index kept up to date when a tenant's status, health or device counts change (the tenant's hourly job refreshes it too), so a page costs one storage query whatever the number of tenants. `health` is `unknown` until the tenant's health was first checked. Provider support: the function key or a `Provider.Support` token of the provider's tenant.
     */
    get: operations["getProviderTenants"];
    put?: never;
    /**
     * Provisions a customer tenant (once) and returns the admin-consent link for its administrator.
     * @description Provider support: the function key (`x-functions-key`), or an Entra ID token from the provider's own tenant (`PROVIDER_TENANT_ID`) carrying the app role `PROVIDER_SUPPORT_ROLE` (`Provider.Support`); a token from another tenant gets 401, one without the role 403, and neither changes anything. The audit entry names the actor: the signed-in user or application, or the function key.
     */
    post: operations["postProviderTenants"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/provider/tenants/{tenantId}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * A provisioned tenant with its connection health: consent, last enrollment sync, connector heartbeat, last error, counts; while offboarding, its progress.
     * @description Provider support: the function key (`x-functions-key`), or an Entra ID token from the provider's own tenant (`PROVIDER_TENANT_ID`) carrying the app role `PROVIDER_SUPPORT_ROLE` (`Provider.Support`); a token from another tenant gets 401, one without the role 403, and neither changes anything.
     */
    get: operations["getProviderTenantsTenantId"];
    put?: never;
    post?: never;
    /**
     * Offboards a tenant: its devices told `deactivated`, its webhooks and schedules stopped, then every row it owns deleted.
     * @description Answers 202 with the job at once; the work runs in the background and resumes after any crash. From the moment it starts the tenant's console, agent and feed requests are refused (410). The devices are told `deactivated` in Intune (where the partner path is on, within the tenant's Intune write budget) and their Entra ID attribute is cleared; then the webhooks are disabled, the schedules removed and every row of the tenant deleted, at the storage limits' pace. `GET /api/v1/provider/tenants/{tenantId}` shows `status: "offboarding"` with the progress, then 404. A second DELETE answers the same job. Recorded in the provider's audit log (start and completion).
     */
    delete: operations["deleteProviderTenantsTenantId"];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/provider/usage": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Per tenant, for billing: active devices at the month's peak and on average per day, from daily counters.
     * @description A day's counter is the most devices active at once that day (UTC), taken from the tenant's device counters each hour; `peakActiveDevices` is the month's highest day, `averageActiveDevices` the mean over `daysCounted` (the days the tenant was connected). Offboarded tenants keep their rows: the month they left is still billed. `format=csv` answers `text/csv; charset=utf-8` (RFC 4180, header `month,tenantId,displayName,peakActiveDevices,averageActiveDevices,daysCounted`, as an attachment); a cell starting with `=`, `+`, `-`, `@`, tab or carriage return is prefixed with `'` so a spreadsheet never runs it.
     */
    get: operations["getProviderUsage"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export type webhooks = Record<string, never>;
export interface components {
  schemas: {
    /** @description RFC 9457 problem details. */
    Problem: {
      detail: string;
      errors?: {
        message: string;
        path: string;
      }[];
      status: number;
      title: string;
      /** Format: uri */
      type: string;
    };
  };
  responses: never;
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
  getConsentCallback: {
    parameters: {
      query?: {
        admin_consent?: string;
        error?: string;
        error_description?: string;
        scope?: string;
        state?: string;
        tenant?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description An HTML page: the tenant is connected. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "text/html": string;
        };
      };
      /** @description An HTML page naming why consent was not completed (for missing permissions: which); nothing changed. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "text/html": string;
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An HTML page: Entra ID could not be asked to confirm the consent; nothing changed. */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "text/html": string;
        };
      };
    };
  };
  getConsentStart: {
    parameters: {
      query: {
        /** @description The signature from the consent link provisioning returned. */
        sig: string;
        /** @description The tenant id (GUID) provisioned by provider support. */
        tenantId: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Redirect to Entra ID admin consent. */
      302: {
        headers: {
          /** @description The adminconsent URL. */
          location?: string;
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An HTML page: not a consent link this service handed out (the same for every tenant id). */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "text/html": string;
        };
      };
      /** @description An HTML page: the link's tenant has completed consent; the link starts nothing more. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "text/html": string;
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getHealth: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The service is up. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /** @constant */
            status: "ok";
            version: string;
          };
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getOpenapiJson: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The OpenAPI document. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": unknown;
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getConsoleAppRules: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The rules (at most 1,000). */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /** @description Every rule of the tenant, by package name. */
            items: {
              /** @description The package name (Android application id or iOS bundle id), matched exactly. */
              packageName: string;
              /** @description Why the rule exists. */
              reason: string;
              /**
               * @description The level a threat of this package counts as, instead of its classification's.
               * @enum {string}
               */
              riskLevel: "none" | "low" | "medium" | "high";
              updatedAt: string;
              /** @description The console user who last set it. */
              updatedBy: string;
            }[];
            /** @description The most rules a tenant may have (1000). */
            limit: number;
          };
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  putConsoleAppRulesPackageName: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description The package name (Android application id or iOS bundle id), matched exactly, case included. */
        packageName: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "riskLevel": "none",
         *       "reason": "Our own field-service app, signed outside the store"
         *     }
         */
        "application/json": {
          /** @description Why (1 to 500 characters): shown on the policy page and audited. */
          reason: string;
          /**
           * @description `none` allows an app the policy would flag; `high` denies one it would not.
           * @enum {string}
           */
          riskLevel: "none" | "low" | "medium" | "high";
        };
      };
    };
    responses: {
      /** @description The rule as saved and its re-grade job. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /** @description The rule as saved (absent after a deletion). */
            item?: {
              /** @description The package name (Android application id or iOS bundle id), matched exactly. */
              packageName: string;
              /** @description Why the rule exists. */
              reason: string;
              /**
               * @description The level a threat of this package counts as, instead of its classification's.
               * @enum {string}
               */
              riskLevel: "none" | "low" | "medium" | "high";
              updatedAt: string;
              /** @description The console user who last set it. */
              updatedBy: string;
            };
            /** @description A re-grade running as a queued job. */
            regrade: {
              /** @description The classifications whose devices are re-graded. */
              classifications: ("TROJAN" | "SPY" | "SURVEILLANCE" | "BACKDOOR" | "BOT" | "EXPLOIT" | "ROOT_ENABLER" | "VIRUS" | "WORM" | "APP_DROPPER" | "CHARGEWARE" | "CLICK_FRAUD" | "TOLL_FRAUD" | "DATA_LEAK" | "DENYLISTED_APP" | "ADWARE" | "RISKWARE" | "SPAM" | "VULNERABILITY" | "SIDELOADED_APP" | "NON_APP_STORE_SIGNER" | "ROOTED_OR_JAILBROKEN" | "DEVICE_INTEGRITY_FAILED" | "OS_VULNERABILITY" | "DEVICE_INTEGRITY_UNVERIFIED" | "OUTDATED_OS" | "NO_DEVICE_LOCK" | "ENCRYPTION_DISABLED" | "UNKNOWN_SOURCES_ENABLED" | "DEVELOPER_MODE" | "USB_DEBUGGING" | "MAN_IN_THE_MIDDLE" | "ROGUE_WIFI" | "UNSECURED_WIFI" | "PHISHING" | "MALICIOUS_URL")[];
              /** @description When the last slice finished. */
              completedAt?: string;
              /** @description When the change was saved. */
              createdAt: string;
              /** @description Devices whose risk level changed so far (final once `completed`). */
              devicesChanged: number;
              /** @description Devices with an open threat of the changed classification(s) found so far; final once `completed`. */
              devicesTotal: number;
              /** @description The job id: follow it with `GET /api/v1/console/threat-classifications/regrades/{id}`. */
              id: string;
              /** @description For an app rule change: the package names whose devices are re-graded. */
              packages?: string[];
              /**
               * @description `running` until every slice of the tenant's devices is re-graded, then `completed`.
               * @enum {string}
               */
              status: "running" | "completed";
            };
          };
        };
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description Restricted access. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The organization already has 1,000 rules. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The request body is larger than the route's limit. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The request body is not sent as `application/json`. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  deleteConsoleAppRulesPackageName: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description The package name (Android application id or iOS bundle id), matched exactly, case included. */
        packageName: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The re-grade job. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /** @description The rule as saved (absent after a deletion). */
            item?: {
              /** @description The package name (Android application id or iOS bundle id), matched exactly. */
              packageName: string;
              /** @description Why the rule exists. */
              reason: string;
              /**
               * @description The level a threat of this package counts as, instead of its classification's.
               * @enum {string}
               */
              riskLevel: "none" | "low" | "medium" | "high";
              updatedAt: string;
              /** @description The console user who last set it. */
              updatedBy: string;
            };
            /** @description A re-grade running as a queued job. */
            regrade: {
              /** @description The classifications whose devices are re-graded. */
              classifications: ("TROJAN" | "SPY" | "SURVEILLANCE" | "BACKDOOR" | "BOT" | "EXPLOIT" | "ROOT_ENABLER" | "VIRUS" | "WORM" | "APP_DROPPER" | "CHARGEWARE" | "CLICK_FRAUD" | "TOLL_FRAUD" | "DATA_LEAK" | "DENYLISTED_APP" | "ADWARE" | "RISKWARE" | "SPAM" | "VULNERABILITY" | "SIDELOADED_APP" | "NON_APP_STORE_SIGNER" | "ROOTED_OR_JAILBROKEN" | "DEVICE_INTEGRITY_FAILED" | "OS_VULNERABILITY" | "DEVICE_INTEGRITY_UNVERIFIED" | "OUTDATED_OS" | "NO_DEVICE_LOCK" | "ENCRYPTION_DISABLED" | "UNKNOWN_SOURCES_ENABLED" | "DEVELOPER_MODE" | "USB_DEBUGGING" | "MAN_IN_THE_MIDDLE" | "ROGUE_WIFI" | "UNSECURED_WIFI" | "PHISHING" | "MALICIOUS_URL")[];
              /** @description When the last slice finished. */
              completedAt?: string;
              /** @description When the change was saved. */
              createdAt: string;
              /** @description Devices whose risk level changed so far (final once `completed`). */
              devicesChanged: number;
              /** @description Devices with an open threat of the changed classification(s) found so far; final once `completed`. */
              devicesTotal: number;
              /** @description The job id: follow it with `GET /api/v1/console/threat-classifications/regrades/{id}`. */
              id: string;
              /** @description For an app rule change: the package names whose devices are re-graded. */
              packages?: string[];
              /**
               * @description `running` until every slice of the tenant's devices is re-graded, then `completed`.
               * @enum {string}
               */
              status: "running" | "completed";
            };
          };
        };
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description Restricted access. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The package has no rule. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  postConsoleAppRulesPreview: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "packageName": "com.example.fieldservice",
         *       "riskLevel": "none"
         *     }
         */
        "application/json": {
          /** @description The package name (Android application id or iOS bundle id), matched exactly, case included. */
          packageName: string;
          /** @description The level to try for the package, or `null` to try without a rule for it. */
          riskLevel: ("none" | "low" | "medium" | "high") | null;
        };
      };
    };
    responses: {
      /** @description The effect of the change. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /** @description Counts by `old→new` risk level, e.g. `{ "low→high": 3 }`. */
            byChange: {
              [key: string]: number;
            };
            /** @description Devices whose risk level would change. */
            devicesChanged: number;
            /** @description Up to 20 of the devices that would change. */
            sample: {
              deviceId: string;
              deviceName: string;
              /** @enum {string} */
              from: "none" | "low" | "medium" | "high";
              /** @enum {string} */
              to: "none" | "low" | "medium" | "high";
            }[];
          };
        };
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The request body is larger than the route's limit. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The request body is not sent as `application/json`. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description A preview for the organization is already running on this instance (one at a time), or the organization has run 10 previews (of classifications and app rules together) in the last minute, counted across every instance; see `Retry-After`. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getConsoleAuditLog: {
    parameters: {
      query?: {
        /** @description `nextCursor` of the previous page. */
        cursor?: string;
        /** @description Entries per page (1..200, default 50). */
        limit?: number;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description A page of entries. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            items: {
              action: string;
              actor: {
                id: string;
                name: string;
              };
              after?: unknown;
              at: string;
              before?: unknown;
              failure?: string;
              id: string;
              /** @enum {string} */
              outcome: "pending" | "applied" | "failed";
              request?: unknown;
              target: string;
            }[];
            nextCursor: string | null;
          };
        };
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description Restricted (read-only) access. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getConsoleAuditLogExport: {
    parameters: {
      query: {
        /** @description The only format: `csv`. */
        format: "csv";
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The CSV file. */
      200: {
        headers: {
          /** @description `attachment; filename="audit-log-{UTC time}.csv"` */
          "Content-Disposition"?: string;
          [name: string]: unknown;
        };
        content: {
          "text/csv": string;
        };
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description Restricted (read-only) access. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getConsoleConnector: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The connector settings. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /**
             * @description Days a device may stay pending before its user is reminded to activate the agent, and between reminders (at most 3 per device); 0 turns reminders off.
             * @default 0
             */
            activationReminderDays: number;
            /**
             * @description Where users install the agent (an https URL), given in activation reminders; null for none.
             * @default null
             */
            agentInstallUrl: string | null;
            agentTrust: {
              /**
               * @description `off`: attestations are not checked; `report`: devices activate whatever the verdict and the service raises DEVICE_INTEGRITY_FAILED or DEVICE_INTEGRITY_UNVERIFIED; `required`: activation is refused (403) unless the platform's attestation is verified.
               * @default report
               * @enum {string}
               */
              attestation: "off" | "report" | "required";
              /**
               * @description `required`: activation must bind a device key (DPoP) and credentials issued without one answer 401 on their next use; `optional`: devices may also activate without a key (bearer credential).
               * @default optional
               * @enum {string}
               */
              keyBinding: "optional" | "required";
            };
            /**
             * @description Days without a check-in after which an active device becomes disconnected.
             * @default 7
             */
            disconnectedAfterDays: number;
            enforcement: {
              /**
               * @description The Entra device extension attribute that receives the device state, or null for none.
               * @default null
               */
              entraDeviceAttribute: ("extensionAttribute1" | "extensionAttribute2" | "extensionAttribute3" | "extensionAttribute4" | "extensionAttribute5" | "extensionAttribute6" | "extensionAttribute7" | "extensionAttribute8" | "extensionAttribute9" | "extensionAttribute10" | "extensionAttribute11" | "extensionAttribute12" | "extensionAttribute13" | "extensionAttribute14" | "extensionAttribute15") | null;
              /**
               * @description Write Intune's partnerReportedThreatState through the partner API.
               * @default true
               */
              intunePartner: boolean;
            };
            /**
             * @description How often enrollment groups are polled for new or departed users, in minutes.
             * @default 5
             */
            enrollmentPollMinutes: number;
            /**
             * @description Who receives connector error reports: at most 10 addresses, no duplicates, each in one of the organization's verified domains (Graph `/domains`; another address is refused with 400 naming it).
             * @default []
             */
            errorReportRecipients: string[];
            /**
             * @description How often the agent checks in, in minutes.
             * @default 60
             */
            heartbeatFrequencyMinutes: number;
            stateSync: {
              /**
               * @description Send device status states (activated, unresponsive, deactivated, pending).
               * @default true
               */
              deviceStatus: boolean;
              /**
               * @description Send threat levels (secured, low, medium, high).
               * @default true
               */
              threatStatus: boolean;
            };
          };
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  putConsoleConnector: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "heartbeatFrequencyMinutes": 60,
         *       "disconnectedAfterDays": 7,
         *       "enforcement": {
         *         "intunePartner": true,
         *         "entraDeviceAttribute": "extensionAttribute10"
         *       }
         *     }
         */
        "application/json": {
          /** @description Days a device may stay pending before its user is reminded to activate the agent, and between reminders (at most 3 per device); 0 turns reminders off. */
          activationReminderDays?: number;
          /** @description Where users install the agent (an https URL), given in activation reminders; null for none. */
          agentInstallUrl?: string | null;
          agentTrust?: {
            /**
             * @description `off`: attestations are not checked; `report`: devices activate whatever the verdict and the service raises DEVICE_INTEGRITY_FAILED or DEVICE_INTEGRITY_UNVERIFIED; `required`: activation is refused (403) unless the platform's attestation is verified.
             * @enum {string}
             */
            attestation?: "off" | "report" | "required";
            /**
             * @description `required`: activation must bind a device key (DPoP) and credentials issued without one answer 401 on their next use; `optional`: devices may also activate without a key (bearer credential).
             * @enum {string}
             */
            keyBinding?: "optional" | "required";
          };
          /** @description Days without a check-in after which an active device becomes disconnected. */
          disconnectedAfterDays?: number;
          enforcement?: {
            /** @description The Entra device extension attribute that receives the device state, or null for none. */
            entraDeviceAttribute?: ("extensionAttribute1" | "extensionAttribute2" | "extensionAttribute3" | "extensionAttribute4" | "extensionAttribute5" | "extensionAttribute6" | "extensionAttribute7" | "extensionAttribute8" | "extensionAttribute9" | "extensionAttribute10" | "extensionAttribute11" | "extensionAttribute12" | "extensionAttribute13" | "extensionAttribute14" | "extensionAttribute15") | null;
            /** @description Write Intune's partnerReportedThreatState through the partner API. */
            intunePartner?: boolean;
          };
          /** @description How often enrollment groups are polled for new or departed users, in minutes. */
          enrollmentPollMinutes?: number;
          /** @description Who receives connector error reports: at most 10 addresses, no duplicates, each in one of the organization's verified domains (Graph `/domains`; another address is refused with 400 naming it). */
          errorReportRecipients?: string[];
          /** @description How often the agent checks in, in minutes. */
          heartbeatFrequencyMinutes?: number;
          stateSync?: {
            /** @description Send device status states (activated, unresponsive, deactivated, pending). */
            deviceStatus?: boolean;
            /** @description Send threat levels (secured, low, medium, high). */
            threatStatus?: boolean;
          };
        };
      };
    };
    responses: {
      /** @description The settings now in force. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /**
             * @description Days a device may stay pending before its user is reminded to activate the agent, and between reminders (at most 3 per device); 0 turns reminders off.
             * @default 0
             */
            activationReminderDays: number;
            /**
             * @description Where users install the agent (an https URL), given in activation reminders; null for none.
             * @default null
             */
            agentInstallUrl: string | null;
            agentTrust: {
              /**
               * @description `off`: attestations are not checked; `report`: devices activate whatever the verdict and the service raises DEVICE_INTEGRITY_FAILED or DEVICE_INTEGRITY_UNVERIFIED; `required`: activation is refused (403) unless the platform's attestation is verified.
               * @default report
               * @enum {string}
               */
              attestation: "off" | "report" | "required";
              /**
               * @description `required`: activation must bind a device key (DPoP) and credentials issued without one answer 401 on their next use; `optional`: devices may also activate without a key (bearer credential).
               * @default optional
               * @enum {string}
               */
              keyBinding: "optional" | "required";
            };
            /**
             * @description Days without a check-in after which an active device becomes disconnected.
             * @default 7
             */
            disconnectedAfterDays: number;
            enforcement: {
              /**
               * @description The Entra device extension attribute that receives the device state, or null for none.
               * @default null
               */
              entraDeviceAttribute: ("extensionAttribute1" | "extensionAttribute2" | "extensionAttribute3" | "extensionAttribute4" | "extensionAttribute5" | "extensionAttribute6" | "extensionAttribute7" | "extensionAttribute8" | "extensionAttribute9" | "extensionAttribute10" | "extensionAttribute11" | "extensionAttribute12" | "extensionAttribute13" | "extensionAttribute14" | "extensionAttribute15") | null;
              /**
               * @description Write Intune's partnerReportedThreatState through the partner API.
               * @default true
               */
              intunePartner: boolean;
            };
            /**
             * @description How often enrollment groups are polled for new or departed users, in minutes.
             * @default 5
             */
            enrollmentPollMinutes: number;
            /**
             * @description Who receives connector error reports: at most 10 addresses, no duplicates, each in one of the organization's verified domains (Graph `/domains`; another address is refused with 400 naming it).
             * @default []
             */
            errorReportRecipients: string[];
            /**
             * @description How often the agent checks in, in minutes.
             * @default 60
             */
            heartbeatFrequencyMinutes: number;
            stateSync: {
              /**
               * @description Send device status states (activated, unresponsive, deactivated, pending).
               * @default true
               */
              deviceStatus: boolean;
              /**
               * @description Send threat levels (secured, low, medium, high).
               * @default true
               */
              threatStatus: boolean;
            };
          };
        };
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description Restricted (read-only) access. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The request body is larger than the route's limit. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The request body is not sent as `application/json`. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getConsoleCoverage: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The coverage. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /** @description Per enrollment group (a device whose user is in two groups counts in both), by display name. */
            groups: {
              /** @description Devices by status. */
              byStatus: {
                active: number;
                deactivated: number;
                disconnected: number;
                pending: number;
              };
              /** @description False for a group no longer configured that devices were last found through. */
              configured: boolean;
              displayName: string;
              /** @description Pending devices by how long they have waited for the agent to activate (since they became pending, to the minute). */
              pendingByAge: {
                /** @description Pending for 1 to 7 days. */
                days1to7: number;
                /** @description Pending for more than 7 days. */
                over7d: number;
                /** @description Pending for less than a day. */
                under1d: number;
              };
            }[];
            total: {
              /** @description Devices by status. */
              byStatus: {
                active: number;
                deactivated: number;
                disconnected: number;
                pending: number;
              };
              /** @description Pending devices by how long they have waited for the agent to activate (since they became pending, to the minute). */
              pendingByAge: {
                /** @description Pending for 1 to 7 days. */
                days1to7: number;
                /** @description Pending for more than 7 days. */
                over7d: number;
                /** @description Pending for less than a day. */
                under1d: number;
              };
            };
          };
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getConsoleDevices: {
    parameters: {
      query?: {
        /** @description Only devices whose last activation's attestation verdict is this one (agent trust). */
        attestation?: "verified" | "failed" | "absent" | "not-checked";
        /** @description `nextCursor` of the previous page. */
        cursor?: string;
        /** @description Devices per page, 1..200 (default 50); a page may hold fewer. */
        limit?: number;
        /** @description Only devices of this platform. */
        platform?: "ios" | "android";
        /** @description Only devices at this risk level. */
        riskLevel?: "none" | "low" | "medium" | "high";
        /** @description Only devices in this status. */
        status?: "pending" | "active" | "disconnected" | "deactivated";
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description A page of devices and the cursor of the next page. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            items: {
              activatedAt: string | null;
              /** @description How many threats are open on the device now. */
              activeThreatCount: number;
              appVersion: string | null;
              /** @description The Entra device's deviceId, when Intune knows it. */
              azureAdDeviceId: string | null;
              deactivatedAt: string | null;
              deactivationReason: ("left-groups" | "left-intune" | "admin") | null;
              /** @description A version whose push was dead-lettered: visibly out of sync. */
              deadLetteredVersion: number | null;
              /** @description Our device id: the Intune managed device id, lower case. */
              deviceId: string;
              deviceName: string;
              discoveredAt: string;
              intuneDeviceId: string;
              lastCheckInAt: string | null;
              lastReportAt: string | null;
              osVersion: string;
              /** @enum {string} */
              platform: "ios" | "android";
              /** @enum {string} */
              riskLevel: "none" | "low" | "medium" | "high";
              /** @enum {string} */
              status: "pending" | "active" | "disconnected" | "deactivated";
              statusChangedAt: string;
              /** @description True while the current version is not yet pushed to every enforcement target. */
              syncPending: boolean;
              userId: string;
              userPrincipalName: string;
              /** @description Bumped on every change of what Intune or Entra should be told. */
              version: number;
            }[];
            /** @description Pass as `cursor` for the next page; null on the last page. */
            nextCursor: string | null;
          };
        };
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getConsoleDevicesDeviceId: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description The device id (the Intune managed device id). */
        deviceId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The device, with Intune's own view of it. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            activeThreats: {
              classification: string;
              detectedAt: string;
              firstSeenAt: string | null;
              lastSeenAt: string | null;
              name: string | null;
              packageName: string | null;
              threatId: string;
            }[];
            device: {
              activatedAt: string | null;
              /** @description How many threats are open on the device now. */
              activeThreatCount: number;
              appVersion: string | null;
              /** @description The Entra device's deviceId, when Intune knows it. */
              azureAdDeviceId: string | null;
              deactivatedAt: string | null;
              deactivationReason: ("left-groups" | "left-intune" | "admin") | null;
              /** @description A version whose push was dead-lettered: visibly out of sync. */
              deadLetteredVersion: number | null;
              /** @description Our device id: the Intune managed device id, lower case. */
              deviceId: string;
              deviceName: string;
              discoveredAt: string;
              intuneDeviceId: string;
              lastCheckInAt: string | null;
              lastReportAt: string | null;
              osVersion: string;
              /** @enum {string} */
              platform: "ios" | "android";
              /** @enum {string} */
              riskLevel: "none" | "low" | "medium" | "high";
              /** @enum {string} */
              status: "pending" | "active" | "disconnected" | "deactivated";
              statusChangedAt: string;
              /** @description True while the current version is not yet pushed to every enforcement target. */
              syncPending: boolean;
              userId: string;
              userPrincipalName: string;
              /** @description Bumped on every change of what Intune or Entra should be told. */
              version: number;
            };
            enforcement: {
              deadLetteredVersion: number | null;
              /** @description What the Entra device extension attribute was last told. */
              entra: {
                at: string | null;
                attribute: string | null;
                objectId: string | null;
                result: ("sent" | "skipped" | "device-gone" | "error") | null;
                value: string | null;
                version: number | null;
              };
              /** @description What Intune's partnerReportedThreatState was last told, for which version, when, and how it went. */
              intune: {
                at: string | null;
                result: ("sent" | "skipped" | "device-gone" | "error") | null;
                state: string | null;
                version: number | null;
              };
              syncPending: boolean;
              version: number;
            };
            /** @description Intune's own view of the device, read from Graph; null when it could not be read now (see `intuneUnavailable`). */
            intune: {
              /** @description Intune's compliance state of the device (`compliant`, `noncompliant`, `inGracePeriod`, ...). */
              complianceState: string | null;
              /** @description When the device last synced with Intune. */
              lastSyncDateTime: string | null;
              /** @description The threat state Intune holds from the partner (what it was last told, once it has synced). */
              partnerReportedThreatState: string | null;
              /** @description When this view was read from Graph (reused for at most 5 minutes). */
              readAt: string;
            } | null;
            /** @description Why Intune's view is missing, in words; null when it is there. */
            intuneUnavailable: string | null;
            /** @description The device's risk override, while one is in force: its level is the device's, whatever its threats. */
            override?: {
              createdAt: string;
              /** @description The console user who set it. */
              createdBy: string;
              expiresAt: string;
              reason: string;
              /** @enum {string} */
              riskLevel: "none" | "low" | "medium" | "high";
            };
            /** @description Agent trust: the key binding and the attestation verdict. */
            trust: {
              /** @description The last activation's platform attestation verdict (`not-checked` for a device activated before verdicts were recorded). */
              attestation: {
                checkedAt: string | null;
                format: ("android-key" | "apple-app-attest") | null;
                reason?: string;
                securityLevel?: string;
                /** @enum {string} */
                status: "verified" | "failed" | "absent" | "not-checked";
              };
              /** @description Whether the device credential is bound to a device key (DPoP). */
              keyBound: boolean;
            };
          };
        };
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description Your organization has no such device. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  putConsoleDevicesDeviceIdOverride: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description The device id. */
        deviceId: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "riskLevel": "none",
         *       "reason": "CEO travelling; ticket HD-4711",
         *       "expiresAt": "2026-12-08T18:00:00Z"
         *     }
         */
        "application/json": {
          /**
           * Format: date-time
           * @description When the override ends (ISO 8601): in the future and at most 30 days ahead. Pushed within 5 minutes of it.
           */
          expiresAt: string;
          /** @description Why (1 to 500 characters): shown on the device page and audited. */
          reason: string;
          /**
           * @description The level the device counts as while the override lasts, whatever its threats.
           * @enum {string}
           */
          riskLevel: "none" | "low" | "medium" | "high";
        };
      };
    };
    responses: {
      /** @description The override now in force. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /** @description An active risk override. */
            override: {
              createdAt: string;
              /** @description The console user who set it. */
              createdBy: string;
              expiresAt: string;
              reason: string;
              /** @enum {string} */
              riskLevel: "none" | "low" | "medium" | "high";
            };
          };
        };
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description Restricted access. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description Your organization has no such device. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The request body is larger than the route's limit. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The request body is not sent as `application/json`. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  deleteConsoleDevicesDeviceIdOverride: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description The device id. */
        deviceId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Ended. */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description Restricted access. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No such device, or it has no override. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getConsoleDevicesDeviceIdTimeline: {
    parameters: {
      query?: {
        /** @description `nextCursor` of the previous page. */
        cursor?: string;
        /** @description Entries per page, 1..200 (default 50). */
        limit?: number;
      };
      header?: never;
      path: {
        /** @description The device id (the Intune managed device id). */
        deviceId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description A page of the timeline. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            items: {
              at: string;
              /** @description The details: the event data, or for a push `{ target, value, result, version }`. */
              data: unknown;
              /** @description The id of the event in the tenant feed, for `event` entries. */
              eventId?: string;
              /**
               * @description `event` (same id as the feed), `push`, `activation`, `credential-rotation`, `override`, `attestation`.
               * @enum {string}
               */
              kind: "event" | "push" | "activation" | "credential-rotation" | "override" | "attestation";
              /** @description What happened, in one line. */
              summary: string;
            }[];
            /** @description Pass as `cursor` for the next (older) page; null on the last page. */
            nextCursor: string | null;
          };
        };
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description Your organization has no such device. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getConsoleDevicesExport: {
    parameters: {
      query: {
        /** @description Only devices whose last activation's attestation verdict is this one (agent trust). */
        attestation?: "verified" | "failed" | "absent" | "not-checked";
        /** @description The only format: `csv`. */
        format: "csv";
        /** @description Only devices of this platform. */
        platform?: "ios" | "android";
        /** @description Only devices at this risk level. */
        riskLevel?: "none" | "low" | "medium" | "high";
        /** @description Only devices in this status. */
        status?: "pending" | "active" | "disconnected" | "deactivated";
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The CSV file. */
      200: {
        headers: {
          /** @description `attachment; filename="devices-{UTC time}.csv"` */
          "Content-Disposition"?: string;
          [name: string]: unknown;
        };
        content: {
          "text/csv": string;
        };
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getConsoleEnrollmentGroups: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The groups. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            items: {
              addedAt: string | null;
              addedBy: string | null;
              checkedAt: string | null;
              /** @description What the status means for an administrator. */
              detail: string;
              displayName: string;
              groupId: string | null;
              /** @description Users in the group, nested groups included (resolved groups). */
              memberCount: number | null;
              /**
               * @description `resolved`: exactly one group has this name; `case-mismatch`: only a group whose name differs in upper/lower case exists; `not-found`; `ambiguous`: several groups have exactly this name; `unavailable`: Graph could not be asked just now (the stored status is kept); `unchecked`: not resolved yet.
               * @enum {string}
               */
              status: "unchecked" | "resolved" | "case-mismatch" | "not-found" | "ambiguous" | "unavailable";
              /** @description For `case-mismatch`: the names that exist. */
              suggestions?: string[];
            }[];
          };
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  postConsoleEnrollmentGroups: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "displayName": "Sales phones"
         *     }
         */
        "application/json": {
          /** @description The group's display name exactly as its Properties page shows it. */
          displayName: string;
        };
      };
    };
    responses: {
      /** @description Added; with its resolution status. */
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            addedAt: string | null;
            addedBy: string | null;
            checkedAt: string | null;
            /** @description What the status means for an administrator. */
            detail: string;
            displayName: string;
            groupId: string | null;
            /** @description Users in the group, nested groups included (resolved groups). */
            memberCount: number | null;
            /**
             * @description `resolved`: exactly one group has this name; `case-mismatch`: only a group whose name differs in upper/lower case exists; `not-found`; `ambiguous`: several groups have exactly this name; `unavailable`: Graph could not be asked just now (the stored status is kept); `unchecked`: not resolved yet.
             * @enum {string}
             */
            status: "unchecked" | "resolved" | "case-mismatch" | "not-found" | "ambiguous" | "unavailable";
            /** @description For `case-mismatch`: the names that exist. */
            suggestions?: string[];
          };
        };
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description Restricted (read-only) access. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description Already configured, or the tenant has the most groups allowed. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The request body is larger than the route's limit. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The request body is not sent as `application/json`. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  deleteConsoleEnrollmentGroupsDisplayName: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        displayName: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Removed. */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description Restricted (read-only) access. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No group of that name is configured. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  postConsoleEnrollmentSync: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The run was queued. */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            error?: string;
            figures?: {
              deactivated: number;
              devicesWritten: number;
              discovered: number;
              graphPages: number;
              /** @description Devices left as they were because a group did not resolve. */
              kept: number;
              managedDevices: number;
              members: number;
              nudges: number;
              rediscovered: number;
              timings: {
                planMs: number;
                readMs: number;
                writeMs: number;
              };
              unchanged: number;
              updated: number;
              writeTransactions: number;
            };
            finishedAt?: string;
            groups?: {
              detail: string;
              displayName: string;
              groupId?: string;
              memberCount?: number;
              status: string;
            }[];
            queuedAt?: string;
            /**
             * @description `partial` when an enrollment group did not resolve.
             * @enum {string}
             */
            result?: "ok" | "partial";
            startedAt?: string;
            /**
             * @description `queued`: the run was handed to a worker and starts within seconds (its result shows in the enrollment groups, the devices and the tenant health when it ends). `completed`, `failed`, `already-running` and `running` describe a run that finished, found another one in progress, or is still going.
             * @enum {string}
             */
            status: "queued" | "completed" | "failed" | "already-running" | "running";
            tenantId: string;
          };
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getConsoleHealth: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The checks and the overall status. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            checks: {
              checkedAt: string;
              detail: string;
              /** @enum {string} */
              name: "consent" | "discovery" | "intuneConnector" | "pushBacklog" | "deadLetters" | "webhooks";
              /** @enum {string} */
              status: "healthy" | "degraded" | "unhealthy";
            }[];
            /**
             * @description The worst status among the checks.
             * @enum {string}
             */
            status: "healthy" | "degraded" | "unhealthy";
          };
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getConsoleMe: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The caller. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /**
             * @description `full` may change settings; `restricted` reads only.
             * @enum {string}
             */
            access: "full" | "restricted";
            name: string;
            tenantId: string;
            upn: string;
            userId: string;
          };
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getConsoleMeNotifications: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The preferences. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /** Format: email */
            email: string;
            levels: {
              high: boolean;
              low: boolean;
              medium: boolean;
            };
          };
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  putConsoleMeNotifications: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "levels": {
         *         "low": false,
         *         "medium": true,
         *         "high": true
         *       }
         *     }
         */
        "application/json": {
          /**
           * Format: email
           * @description Optional; if given, it must be the caller's own address as Entra ID knows it.
           */
          email?: string;
          levels: {
            high: boolean;
            low: boolean;
            medium: boolean;
          };
        };
      };
    };
    responses: {
      /** @description The preferences now in force. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /** Format: email */
            email: string;
            levels: {
              high: boolean;
              low: boolean;
              medium: boolean;
            };
          };
        };
      };
      /** @description Another address than the caller's own, or invalid levels; nothing stored. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The request body is larger than the route's limit. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The request body is not sent as `application/json`. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getConsoleSummary: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The counts. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            devices: {
              /** @description Devices that are not deactivated, by their (effective) risk level. */
              byRisk: {
                high: number;
                low: number;
                medium: number;
                none: number;
              };
              /** @description Devices by status. */
              byStatus: {
                active: number;
                deactivated: number;
                disconnected: number;
                pending: number;
              };
              /** @description Every device the tenant has, deactivated ones included. */
              total: number;
              /** @description Agent trust of the activated devices (active or disconnected). */
              trust: {
                /** @description Activated devices by their last activation's attestation verdict. */
                attestation: {
                  /** @description No attestation sent (or activated before attestation was checked). */
                  absent: number;
                  failed: number;
                  /** @description Activated while the tenant's attestation mode was off. */
                  notChecked: number;
                  verified: number;
                };
                /** @description Activated devices whose credential is bound to a device key (DPoP). */
                keyBound: number;
                /** @description Activated devices still on a bearer credential (activated without a device key). */
                notKeyBound: number;
              };
            };
            openThreats: {
              /** @description Open threats by classification (classifications with none are left out). */
              byClassification: {
                [key: string]: number;
              };
            };
          };
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getConsoleThreatClassifications: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The classifications. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            items: {
              /** @enum {string} */
              category: "application" | "device" | "network" | "web";
              /** @enum {string} */
              classification: "TROJAN" | "SPY" | "SURVEILLANCE" | "BACKDOOR" | "BOT" | "EXPLOIT" | "ROOT_ENABLER" | "VIRUS" | "WORM" | "APP_DROPPER" | "CHARGEWARE" | "CLICK_FRAUD" | "TOLL_FRAUD" | "DATA_LEAK" | "DENYLISTED_APP" | "ADWARE" | "RISKWARE" | "SPAM" | "VULNERABILITY" | "SIDELOADED_APP" | "NON_APP_STORE_SIGNER" | "ROOTED_OR_JAILBROKEN" | "DEVICE_INTEGRITY_FAILED" | "OS_VULNERABILITY" | "DEVICE_INTEGRITY_UNVERIFIED" | "OUTDATED_OS" | "NO_DEVICE_LOCK" | "ENCRYPTION_DISABLED" | "UNKNOWN_SOURCES_ENABLED" | "DEVELOPER_MODE" | "USB_DEBUGGING" | "MAN_IN_THE_MIDDLE" | "ROGUE_WIFI" | "UNSECURED_WIFI" | "PHISHING" | "MALICIOUS_URL";
              /** @enum {string} */
              defaultRiskLevel: "none" | "low" | "medium" | "high";
              /** @enum {string} */
              riskLevel: "none" | "low" | "medium" | "high";
            }[];
          };
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  putConsoleThreatClassificationsClassification: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        classification: "TROJAN" | "SPY" | "SURVEILLANCE" | "BACKDOOR" | "BOT" | "EXPLOIT" | "ROOT_ENABLER" | "VIRUS" | "WORM" | "APP_DROPPER" | "CHARGEWARE" | "CLICK_FRAUD" | "TOLL_FRAUD" | "DATA_LEAK" | "DENYLISTED_APP" | "ADWARE" | "RISKWARE" | "SPAM" | "VULNERABILITY" | "SIDELOADED_APP" | "NON_APP_STORE_SIGNER" | "ROOTED_OR_JAILBROKEN" | "DEVICE_INTEGRITY_FAILED" | "OS_VULNERABILITY" | "DEVICE_INTEGRITY_UNVERIFIED" | "OUTDATED_OS" | "NO_DEVICE_LOCK" | "ENCRYPTION_DISABLED" | "UNKNOWN_SOURCES_ENABLED" | "DEVELOPER_MODE" | "USB_DEBUGGING" | "MAN_IN_THE_MIDDLE" | "ROGUE_WIFI" | "UNSECURED_WIFI" | "PHISHING" | "MALICIOUS_URL";
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "riskLevel": "high"
         *     }
         */
        "application/json": {
          /**
           * @description The risk level every threat of this classification counts as.
           * @enum {string}
           */
          riskLevel: "none" | "low" | "medium" | "high";
        };
      };
    };
    responses: {
      /** @description The classification as it is now, and its re-grade job (`running`, or `completed` when nothing is to re-grade). */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            item: {
              /** @enum {string} */
              category: "application" | "device" | "network" | "web";
              /** @enum {string} */
              classification: "TROJAN" | "SPY" | "SURVEILLANCE" | "BACKDOOR" | "BOT" | "EXPLOIT" | "ROOT_ENABLER" | "VIRUS" | "WORM" | "APP_DROPPER" | "CHARGEWARE" | "CLICK_FRAUD" | "TOLL_FRAUD" | "DATA_LEAK" | "DENYLISTED_APP" | "ADWARE" | "RISKWARE" | "SPAM" | "VULNERABILITY" | "SIDELOADED_APP" | "NON_APP_STORE_SIGNER" | "ROOTED_OR_JAILBROKEN" | "DEVICE_INTEGRITY_FAILED" | "OS_VULNERABILITY" | "DEVICE_INTEGRITY_UNVERIFIED" | "OUTDATED_OS" | "NO_DEVICE_LOCK" | "ENCRYPTION_DISABLED" | "UNKNOWN_SOURCES_ENABLED" | "DEVELOPER_MODE" | "USB_DEBUGGING" | "MAN_IN_THE_MIDDLE" | "ROGUE_WIFI" | "UNSECURED_WIFI" | "PHISHING" | "MALICIOUS_URL";
              /** @enum {string} */
              defaultRiskLevel: "none" | "low" | "medium" | "high";
              /** @enum {string} */
              riskLevel: "none" | "low" | "medium" | "high";
            };
            /** @description A re-grade running as a queued job. */
            regrade: {
              /** @description The classifications whose devices are re-graded. */
              classifications: ("TROJAN" | "SPY" | "SURVEILLANCE" | "BACKDOOR" | "BOT" | "EXPLOIT" | "ROOT_ENABLER" | "VIRUS" | "WORM" | "APP_DROPPER" | "CHARGEWARE" | "CLICK_FRAUD" | "TOLL_FRAUD" | "DATA_LEAK" | "DENYLISTED_APP" | "ADWARE" | "RISKWARE" | "SPAM" | "VULNERABILITY" | "SIDELOADED_APP" | "NON_APP_STORE_SIGNER" | "ROOTED_OR_JAILBROKEN" | "DEVICE_INTEGRITY_FAILED" | "OS_VULNERABILITY" | "DEVICE_INTEGRITY_UNVERIFIED" | "OUTDATED_OS" | "NO_DEVICE_LOCK" | "ENCRYPTION_DISABLED" | "UNKNOWN_SOURCES_ENABLED" | "DEVELOPER_MODE" | "USB_DEBUGGING" | "MAN_IN_THE_MIDDLE" | "ROGUE_WIFI" | "UNSECURED_WIFI" | "PHISHING" | "MALICIOUS_URL")[];
              /** @description When the last slice finished. */
              completedAt?: string;
              /** @description When the change was saved. */
              createdAt: string;
              /** @description Devices whose risk level changed so far (final once `completed`). */
              devicesChanged: number;
              /** @description Devices with an open threat of the changed classification(s) found so far; final once `completed`. */
              devicesTotal: number;
              /** @description The job id: follow it with `GET /api/v1/console/threat-classifications/regrades/{id}`. */
              id: string;
              /** @description For an app rule change: the package names whose devices are re-graded. */
              packages?: string[];
              /**
               * @description `running` until every slice of the tenant's devices is re-graded, then `completed`.
               * @enum {string}
               */
              status: "running" | "completed";
            };
          };
        };
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description Restricted access. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The request body is larger than the route's limit. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The request body is not sent as `application/json`. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  postConsoleThreatClassificationsPreview: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "changes": {
         *         "ADWARE": "medium",
         *         "OUTDATED_OS": "low"
         *       }
         *     }
         */
        "application/json": {
          /** @description The levels to try, by classification. */
          changes: {
            [key: string]: "none" | "low" | "medium" | "high";
          };
        };
      };
    };
    responses: {
      /** @description The effect of the change. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /** @description Counts by `old→new` risk level, e.g. `{ "low→high": 3 }`. */
            byChange: {
              [key: string]: number;
            };
            /** @description Devices whose risk level would change. */
            devicesChanged: number;
            /** @description Up to 20 of the devices that would change. */
            sample: {
              deviceId: string;
              deviceName: string;
              /** @enum {string} */
              from: "none" | "low" | "medium" | "high";
              /** @enum {string} */
              to: "none" | "low" | "medium" | "high";
            }[];
          };
        };
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The request body is larger than the route's limit. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The request body is not sent as `application/json`. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description A preview for the organization is already running on this instance (one at a time), or the organization has run 10 previews (of classifications and app rules together) in the last minute, counted across every instance; see `Retry-After`. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getConsoleThreatClassificationsRegradesId: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description A re-grade id from a PUT or reset answer. */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The job and its progress. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /** @description The classifications whose devices are re-graded. */
            classifications: ("TROJAN" | "SPY" | "SURVEILLANCE" | "BACKDOOR" | "BOT" | "EXPLOIT" | "ROOT_ENABLER" | "VIRUS" | "WORM" | "APP_DROPPER" | "CHARGEWARE" | "CLICK_FRAUD" | "TOLL_FRAUD" | "DATA_LEAK" | "DENYLISTED_APP" | "ADWARE" | "RISKWARE" | "SPAM" | "VULNERABILITY" | "SIDELOADED_APP" | "NON_APP_STORE_SIGNER" | "ROOTED_OR_JAILBROKEN" | "DEVICE_INTEGRITY_FAILED" | "OS_VULNERABILITY" | "DEVICE_INTEGRITY_UNVERIFIED" | "OUTDATED_OS" | "NO_DEVICE_LOCK" | "ENCRYPTION_DISABLED" | "UNKNOWN_SOURCES_ENABLED" | "DEVELOPER_MODE" | "USB_DEBUGGING" | "MAN_IN_THE_MIDDLE" | "ROGUE_WIFI" | "UNSECURED_WIFI" | "PHISHING" | "MALICIOUS_URL")[];
            /** @description When the last slice finished. */
            completedAt?: string;
            /** @description When the change was saved. */
            createdAt: string;
            /** @description Devices whose risk level changed so far (final once `completed`). */
            devicesChanged: number;
            /** @description Devices with an open threat of the changed classification(s) found so far; final once `completed`. */
            devicesTotal: number;
            /** @description The job id: follow it with `GET /api/v1/console/threat-classifications/regrades/{id}`. */
            id: string;
            /** @description For an app rule change: the package names whose devices are re-graded. */
            packages?: string[];
            /**
             * @description `running` until every slice of the tenant's devices is re-graded, then `completed`.
             * @enum {string}
             */
            status: "running" | "completed";
          };
        };
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description Your organization has no re-grade with this id. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  postConsoleThreatClassificationsReset: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The classifications as they are now, and the re-grade job (follow it like the PUT's). */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            items: {
              /** @enum {string} */
              category: "application" | "device" | "network" | "web";
              /** @enum {string} */
              classification: "TROJAN" | "SPY" | "SURVEILLANCE" | "BACKDOOR" | "BOT" | "EXPLOIT" | "ROOT_ENABLER" | "VIRUS" | "WORM" | "APP_DROPPER" | "CHARGEWARE" | "CLICK_FRAUD" | "TOLL_FRAUD" | "DATA_LEAK" | "DENYLISTED_APP" | "ADWARE" | "RISKWARE" | "SPAM" | "VULNERABILITY" | "SIDELOADED_APP" | "NON_APP_STORE_SIGNER" | "ROOTED_OR_JAILBROKEN" | "DEVICE_INTEGRITY_FAILED" | "OS_VULNERABILITY" | "DEVICE_INTEGRITY_UNVERIFIED" | "OUTDATED_OS" | "NO_DEVICE_LOCK" | "ENCRYPTION_DISABLED" | "UNKNOWN_SOURCES_ENABLED" | "DEVELOPER_MODE" | "USB_DEBUGGING" | "MAN_IN_THE_MIDDLE" | "ROGUE_WIFI" | "UNSECURED_WIFI" | "PHISHING" | "MALICIOUS_URL";
              /** @enum {string} */
              defaultRiskLevel: "none" | "low" | "medium" | "high";
              /** @enum {string} */
              riskLevel: "none" | "low" | "medium" | "high";
            }[];
            /** @description A re-grade running as a queued job. */
            regrade: {
              /** @description The classifications whose devices are re-graded. */
              classifications: ("TROJAN" | "SPY" | "SURVEILLANCE" | "BACKDOOR" | "BOT" | "EXPLOIT" | "ROOT_ENABLER" | "VIRUS" | "WORM" | "APP_DROPPER" | "CHARGEWARE" | "CLICK_FRAUD" | "TOLL_FRAUD" | "DATA_LEAK" | "DENYLISTED_APP" | "ADWARE" | "RISKWARE" | "SPAM" | "VULNERABILITY" | "SIDELOADED_APP" | "NON_APP_STORE_SIGNER" | "ROOTED_OR_JAILBROKEN" | "DEVICE_INTEGRITY_FAILED" | "OS_VULNERABILITY" | "DEVICE_INTEGRITY_UNVERIFIED" | "OUTDATED_OS" | "NO_DEVICE_LOCK" | "ENCRYPTION_DISABLED" | "UNKNOWN_SOURCES_ENABLED" | "DEVELOPER_MODE" | "USB_DEBUGGING" | "MAN_IN_THE_MIDDLE" | "ROGUE_WIFI" | "UNSECURED_WIFI" | "PHISHING" | "MALICIOUS_URL")[];
              /** @description When the last slice finished. */
              completedAt?: string;
              /** @description When the change was saved. */
              createdAt: string;
              /** @description Devices whose risk level changed so far (final once `completed`). */
              devicesChanged: number;
              /** @description Devices with an open threat of the changed classification(s) found so far; final once `completed`. */
              devicesTotal: number;
              /** @description The job id: follow it with `GET /api/v1/console/threat-classifications/regrades/{id}`. */
              id: string;
              /** @description For an app rule change: the package names whose devices are re-graded. */
              packages?: string[];
              /**
               * @description `running` until every slice of the tenant's devices is re-graded, then `completed`.
               * @enum {string}
               */
              status: "running" | "completed";
            };
          };
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description Restricted access. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getConsoleWebhooks: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Every endpoint, oldest first. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            items: {
              createdAt: string;
              createdBy: string;
              description: string | null;
              disabledAt: string | null;
              /** @description Why the endpoint is disabled: an admin, or its answer of 410 Gone. */
              disabledReason: string | null;
              enabled: boolean;
              /** @description Set while the latest attempt failed: when the failures began. */
              failingSince: string | null;
              /**
               * @description The body of each delivery: `native` (default), our event; `ocsf`, the event as an OCSF object where OCSF has a class for it (docs/DEPLOY.md, "SIEM formats").
               * @enum {string}
               */
              format: "native" | "ocsf";
              id: string;
              /** @description The latest failed attempt: status code or error. */
              lastFailure: string | null;
              /** @description Until then the previous secret signs too (a second signature). */
              previousSecretExpiresAt: string | null;
              secretRotatedAt: string | null;
              types: string[];
              updatedAt: string;
              url: string;
            }[];
          };
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  postConsoleWebhooks: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "url": "https://siem.contoso.com/hooks/mtd",
         *       "types": [
         *         "threat.detected",
         *         "threat.resolved",
         *         "device.risk_changed"
         *       ],
         *       "description": "SIEM"
         *     }
         */
        "application/json": {
          description?: string;
          /** @default true */
          enabled?: boolean;
          /**
           * @description The body of each delivery: `native` (default), our event; `ocsf`, the event as an OCSF object where OCSF has a class for it (docs/DEPLOY.md, "SIEM formats").
           * @default native
           * @enum {string}
           */
          format?: "native" | "ocsf";
          /** @description The event types delivered to this endpoint. */
          types: ("threat.detected" | "threat.resolved" | "device.discovered" | "device.status_changed" | "device.risk_changed" | "device.enforcement_failed" | "audit.recorded" | "connector.health_changed" | "device.override_started" | "device.override_ended" | "device.attestation_failed")[];
          /** @description Where deliveries are POSTed: https, a public host (or one in WEBHOOK_ALLOWED_PRIVATE_HOSTS). */
          url: string;
        };
      };
    };
    responses: {
      /** @description Created, with its secret. */
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            createdAt: string;
            createdBy: string;
            description: string | null;
            disabledAt: string | null;
            /** @description Why the endpoint is disabled: an admin, or its answer of 410 Gone. */
            disabledReason: string | null;
            enabled: boolean;
            /** @description Set while the latest attempt failed: when the failures began. */
            failingSince: string | null;
            /**
             * @description The body of each delivery: `native` (default), our event; `ocsf`, the event as an OCSF object where OCSF has a class for it (docs/DEPLOY.md, "SIEM formats").
             * @enum {string}
             */
            format: "native" | "ocsf";
            id: string;
            /** @description The latest failed attempt: status code or error. */
            lastFailure: string | null;
            /** @description Until then the previous secret signs too (a second signature). */
            previousSecretExpiresAt: string | null;
            /** @description The signing secret (`whsec_` + base64). Shown only now: store it. */
            secret: string;
            secretRotatedAt: string | null;
            types: string[];
            updatedAt: string;
            url: string;
          };
        };
      };
      /** @description Invalid fields, or a URL that is not https or whose host is not public. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description Restricted (read-only) access. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The tenant already has 10 endpoints (the limit holds under concurrent creates). */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The request body is larger than the route's limit. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The request body is not sent as `application/json`. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getConsoleWebhooksId: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The endpoint. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            createdAt: string;
            createdBy: string;
            description: string | null;
            disabledAt: string | null;
            /** @description Why the endpoint is disabled: an admin, or its answer of 410 Gone. */
            disabledReason: string | null;
            enabled: boolean;
            /** @description Set while the latest attempt failed: when the failures began. */
            failingSince: string | null;
            /**
             * @description The body of each delivery: `native` (default), our event; `ocsf`, the event as an OCSF object where OCSF has a class for it (docs/DEPLOY.md, "SIEM formats").
             * @enum {string}
             */
            format: "native" | "ocsf";
            id: string;
            /** @description The latest failed attempt: status code or error. */
            lastFailure: string | null;
            /** @description Until then the previous secret signs too (a second signature). */
            previousSecretExpiresAt: string | null;
            secretRotatedAt: string | null;
            types: string[];
            updatedAt: string;
            url: string;
          };
        };
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No such endpoint in your organization. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  deleteConsoleWebhooksId: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Deleted. */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description Restricted (read-only) access. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No such endpoint in your organization. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  patchConsoleWebhooksId: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "enabled": true
         *     }
         */
        "application/json": {
          /** @description `null` removes it. */
          description?: string | null;
          /** @description `true` re-enables an endpoint that was disabled (by an admin or a 410). */
          enabled?: boolean;
          /**
           * @description The body of each delivery: `native` (default), our event; `ocsf`, the event as an OCSF object where OCSF has a class for it (docs/DEPLOY.md, "SIEM formats").
           * @enum {string}
           */
          format?: "native" | "ocsf";
          /** @description The event types delivered to this endpoint. */
          types?: ("threat.detected" | "threat.resolved" | "device.discovered" | "device.status_changed" | "device.risk_changed" | "device.enforcement_failed" | "audit.recorded" | "connector.health_changed" | "device.override_started" | "device.override_ended" | "device.attestation_failed")[];
          /** @description Where deliveries are POSTed: https, a public host (or one in WEBHOOK_ALLOWED_PRIVATE_HOSTS). */
          url?: string;
        };
      };
    };
    responses: {
      /** @description The endpoint as changed. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            createdAt: string;
            createdBy: string;
            description: string | null;
            disabledAt: string | null;
            /** @description Why the endpoint is disabled: an admin, or its answer of 410 Gone. */
            disabledReason: string | null;
            enabled: boolean;
            /** @description Set while the latest attempt failed: when the failures began. */
            failingSince: string | null;
            /**
             * @description The body of each delivery: `native` (default), our event; `ocsf`, the event as an OCSF object where OCSF has a class for it (docs/DEPLOY.md, "SIEM formats").
             * @enum {string}
             */
            format: "native" | "ocsf";
            id: string;
            /** @description The latest failed attempt: status code or error. */
            lastFailure: string | null;
            /** @description Until then the previous secret signs too (a second signature). */
            previousSecretExpiresAt: string | null;
            secretRotatedAt: string | null;
            types: string[];
            updatedAt: string;
            url: string;
          };
        };
      };
      /** @description Invalid fields. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description Restricted (read-only) access. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No such endpoint in your organization. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The request body is larger than the route's limit. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The request body is not sent as `application/json`. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getConsoleWebhooksIdDeliveries: {
    parameters: {
      query?: {
        /** @description `nextCursor` of the previous page. */
        cursor?: string;
        /** @description Deliveries per page (1..200, default 50). */
        limit?: number;
      };
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description A page of deliveries. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            items: {
              attempts: {
                at: string;
                attempt: number;
                durationMs: number | null;
                error: string | null;
                round: number;
                statusCode: number | null;
              }[];
              createdAt: string;
              deliveredAt: string | null;
              eventId: string;
              eventType: string;
              failure: string | null;
              id: string;
              nextAttemptAt: string | null;
              /** @description 1, plus one per manual redelivery. */
              round: number;
              /**
               * @description `pending` (not tried yet), `sending` (an attempt is under way), `retrying` (the next attempt is at `nextAttemptAt`), `delivered`, `failed` (every attempt failed, the endpoint answered 410, or it was disabled or deleted).
               * @enum {string}
               */
              status: "pending" | "sending" | "retrying" | "delivered" | "failed";
            }[];
            nextCursor: string | null;
          };
        };
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No such endpoint in your organization. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  postConsoleWebhooksIdDeliveriesDeliveryIdRedeliver: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        deliveryId: string;
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Queued. */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            attempts: {
              at: string;
              attempt: number;
              durationMs: number | null;
              error: string | null;
              round: number;
              statusCode: number | null;
            }[];
            createdAt: string;
            deliveredAt: string | null;
            eventId: string;
            eventType: string;
            failure: string | null;
            id: string;
            nextAttemptAt: string | null;
            /** @description 1, plus one per manual redelivery. */
            round: number;
            /**
             * @description `pending` (not tried yet), `sending` (an attempt is under way), `retrying` (the next attempt is at `nextAttemptAt`), `delivered`, `failed` (every attempt failed, the endpoint answered 410, or it was disabled or deleted).
             * @enum {string}
             */
            status: "pending" | "sending" | "retrying" | "delivered" | "failed";
          };
        };
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description Restricted (read-only) access. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No such endpoint or delivery. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The endpoint is disabled, or the delivery is still under way. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  postConsoleWebhooksIdRotateSecret: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The new secret. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /** @description The previous secret also signs until then. */
            previousSecretExpiresAt: string;
            /** @description The new signing secret. Shown only now. */
            secret: string;
          };
        };
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description Restricted (read-only) access. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No such endpoint in your organization. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  postConsoleWebhooksIdTest: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Queued; follow it in the delivery log. */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            deliveryId: string;
            eventId: string;
            /** @constant */
            status: "pending";
          };
        };
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description Restricted (read-only) access. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No such endpoint in your organization. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The endpoint is disabled. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description This endpoint has had 10 test events in the last minute (counted across every instance); see `Retry-After`. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  postDeviceActivate: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "intuneDeviceId": "6f9a2c4e-1b7d-4e3a-9c5f-2d8b7a1e4c60",
         *       "platform": "ios",
         *       "osVersion": "17.5.1",
         *       "appVersion": "3.2.0"
         *     }
         */
        "application/json": {
          /** @description Agent app version. */
          appVersion: string;
          /** @description The platform attestation proving the device key lives in a genuine device running the agent. */
          attestation?: {
            /** @description The Keystore attestation certificate chain of the device key, leaf first (the leaf certifies the device key and carries the key description extension), each certificate base64 DER. */
            certificateChain: string[];
            /** @constant */
            format: "android-key";
          } | {
            /** @description The attestation object from DCAppAttestService.attestKey (base64 CBOR), made with clientDataHash = SHA-256(UTF-8 of challenge + "." + jkt). */
            attestationObject: string;
            /** @constant */
            format: "apple-app-attest";
            /** @description The App Attest key identifier (base64 of the SHA-256 of its public key), as DCAppAttestService returns it. */
            keyId: string;
          };
          /** @description A challenge from `POST /api/v1/device/challenge` (required with `deviceKey`); used up by this activation whatever its outcome. */
          challenge?: string;
          /** @description The device key's public JWK (EC P-256, `x` and `y` only; a private member such as `d` is refused). The credential is bound to its RFC 7638 thumbprint: every later device request carries a DPoP proof signed with this key. */
          deviceKey?: {
            /** @constant */
            crv: "P-256";
            /** @constant */
            kty: "EC";
            x: string;
            y: string;
          };
          /**
           * Format: uuid
           * @description The Intune managed device id the agent runs on.
           */
          intuneDeviceId: string;
          /** @description Operating system version. */
          osVersion: string;
          /** @enum {string} */
          platform: "ios" | "android";
        };
      };
    };
    responses: {
      /** @description Activated: the device credential (returned only now) and the heartbeat interval. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /** @description The platform attestation verdict of this activation. */
            attestation: {
              reason?: string;
              /**
               * @description `verified`, `failed` (see `reason`), `absent` (no attestation sent) or `not-checked` (the tenant's `agentTrust.attestation` is `off`).
               * @enum {string}
               */
              status: "verified" | "failed" | "absent" | "not-checked";
            };
            deviceId: string;
            /** @description The device credential. Returned once. With `tokenType: "DPoP"`, send it as `Authorization: DPoP <token>` with a `DPoP` proof header of the device key on every other device route; with `"Bearer"`, as `Authorization: Bearer`. */
            deviceToken: string;
            /**
             * Format: date-time
             * @description When the credential stops working (`DEVICE_CREDENTIAL_DAYS` after activation); heartbeats hand out its successor before then.
             */
            deviceTokenExpiresAt: string;
            heartbeatIntervalMinutes: number;
            /**
             * @description `DPoP` when the credential is bound to `deviceKey`, else `Bearer`.
             * @enum {string}
             */
            tokenType: "DPoP" | "Bearer";
          };
        };
      };
      /** @description The input does not match the schema (a `deviceKey` with a private member such as `d`, an unknown field), or the tenant requires `deviceKey`, or `challenge` is missing, unknown, expired or already used; `errors` names the field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The device belongs to another user, or was deactivated; or the token is not a user token of a connected tenant; or the tenant requires a verified attestation and it did not verify (the reason is in `detail`). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No device with this Intune device id was discovered for the user's organization (yet). */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The request body is larger than 65536 bytes. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The request body is not sent as `application/json`. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  postDeviceChallenge: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description A fresh challenge and when it expires. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /** @description base64url of 32 random bytes; single use, for this user only. */
            challenge: string;
            /**
             * Format: date-time
             * @description When the challenge stops being accepted (5 minutes after its issue).
             */
            expiresAt: string;
          };
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  postDeviceHeartbeat: {
    parameters: {
      query?: never;
      header?: {
        /** @description The DPoP proof of the device key (required with `Authorization: DPoP`; see the `deviceDpop` security scheme). */
        DPoP?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "osVersion": "17.5.1",
         *       "appVersion": "3.2.0"
         *     }
         */
        "application/json": {
          appVersion?: string;
          osVersion?: string;
        };
      };
    };
    responses: {
      /** @description Checked in: how often to check in, and the rotated credential when one is due. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /** @description Present when the presented credential is within 7 days of its expiry: the new device credential (silent rotation). Use it from now on; the presented one keeps working for 24 hours. A heartbeat with that previous credential within the 24 hours (a retry after a lost answer) receives the same new credential again. */
            deviceToken?: string;
            /**
             * Format: date-time
             * @description When `deviceToken` expires (`DEVICE_CREDENTIAL_DAYS` after the rotation).
             */
            deviceTokenExpiresAt?: string;
            heartbeatIntervalMinutes: number;
          };
        };
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with and what failed: `DPoP algs="ES256", error="invalid_dpop_proof"` (the proof) or `error="invalid_token"` (the credential), or `Bearer realm="device"`. */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The request body is larger than 65536 bytes. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The request body is not sent as `application/json`. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description Too many requests from this device; retry after `Retry-After` seconds. */
      429: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  postDeviceThreatReport: {
    parameters: {
      query?: never;
      header?: {
        /** @description The DPoP proof of the device key (required with `Authorization: DPoP`; see the `deviceDpop` security scheme). */
        DPoP?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "reportId": "0f3c9d6e-report-42",
         *       "sequence": 42,
         *       "observedAt": "2026-03-02T09:15:00Z",
         *       "threats": [
         *         {
         *           "id": "phish-1",
         *           "classification": "PHISHING",
         *           "name": "Fake sign-in page",
         *           "detectedAt": "2026-03-02T09:14:10Z"
         *         }
         *       ]
         *     }
         */
        "application/json": {
          /** Format: date-time */
          observedAt: string;
          /** @description Unique per report; a repeated id changes nothing. */
          reportId: string;
          /** @description Increases with every report of this device. */
          sequence: number;
          /** @description The complete set of threats active on the device now; empty when all clear. */
          threats: {
            /**
             * @description Any classification but `DEVICE_INTEGRITY_FAILED` and `DEVICE_INTEGRITY_UNVERIFIED`, which the service raises itself from the attestation (400).
             * @enum {string}
             */
            classification: "TROJAN" | "SPY" | "SURVEILLANCE" | "BACKDOOR" | "BOT" | "EXPLOIT" | "ROOT_ENABLER" | "VIRUS" | "WORM" | "APP_DROPPER" | "CHARGEWARE" | "CLICK_FRAUD" | "TOLL_FRAUD" | "DATA_LEAK" | "DENYLISTED_APP" | "ADWARE" | "RISKWARE" | "SPAM" | "VULNERABILITY" | "SIDELOADED_APP" | "NON_APP_STORE_SIGNER" | "ROOTED_OR_JAILBROKEN" | "DEVICE_INTEGRITY_FAILED" | "OS_VULNERABILITY" | "DEVICE_INTEGRITY_UNVERIFIED" | "OUTDATED_OS" | "NO_DEVICE_LOCK" | "ENCRYPTION_DISABLED" | "UNKNOWN_SOURCES_ENABLED" | "DEVELOPER_MODE" | "USB_DEBUGGING" | "MAN_IN_THE_MIDDLE" | "ROGUE_WIFI" | "UNSECURED_WIFI" | "PHISHING" | "MALICIOUS_URL";
            /** Format: date-time */
            detectedAt: string;
            /** @description The agent's stable id of this threat on this device. */
            id: string;
            name?: string;
            packageName?: string;
          }[];
        };
      };
    };
    responses: {
      /** @description Stale or repeated: nothing changed. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /** @description False when the report was stale (sequence not above the last applied) or a replay. */
            applied: boolean;
            deviceId: string;
            /** @enum {string} */
            riskLevel: "none" | "low" | "medium" | "high";
          };
        };
      };
      /** @description Applied: the device's risk level under the tenant's policy. */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /** @description False when the report was stale (sequence not above the last applied) or a replay. */
            applied: boolean;
            deviceId: string;
            /** @enum {string} */
            riskLevel: "none" | "low" | "medium" | "high";
          };
        };
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with and what failed: `DPoP algs="ES256", error="invalid_dpop_proof"` (the proof) or `error="invalid_token"` (the credential), or `Bearer realm="device"`. */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The request body is larger than 65536 bytes. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The request body is not sent as `application/json`. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description Too many requests from this device; retry after `Retry-After` seconds. */
      429: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getEvents: {
    parameters: {
      query?: {
        /** @description `nextCursor` of an earlier answer; omitted: from the oldest kept event. */
        after?: string;
        /** @description With `order=newest`: `nextCursor` of an earlier newest-first answer; omitted: from the newest event. */
        before?: string;
        /** @description `native` (default): our events; `ocsf`: each event as an OCSF object where OCSF has a class for it (docs/DEPLOY.md, "SIEM formats"). The cursor is the same. */
        format?: "native" | "ocsf";
        /** @description Events per page (1..1000, default 100). */
        limit?: number;
        /** @description `oldest` (the contract's feed, default) or `newest`: newest first, paged back with `before`; an extension beyond the contract. */
        order?: "oldest" | "newest";
        /** @description Comma-separated event types, e.g. `threat.detected,device.risk_changed`. */
        types?: string;
        /** @description Seconds to wait for a first event when none is there (0..30). */
        wait?: number;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description A page of events. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /** @description Our events; with `format=ocsf`, OCSF objects (those with `class_uid`) and the events OCSF has no class for. */
            items: (({
              data: {
                device: {
                  deviceId: string;
                  deviceName: string;
                  intuneDeviceId: string;
                  /** @enum {string} */
                  platform: "ios" | "android";
                  /** @enum {string} */
                  riskLevel: "none" | "low" | "medium" | "high";
                  /** @enum {string} */
                  status: "pending" | "active" | "disconnected" | "deactivated";
                  userPrincipalName: string;
                };
                threat: {
                  /** @enum {string} */
                  category: "application" | "device" | "network" | "web";
                  /** @enum {string} */
                  classification: "TROJAN" | "SPY" | "SURVEILLANCE" | "BACKDOOR" | "BOT" | "EXPLOIT" | "ROOT_ENABLER" | "VIRUS" | "WORM" | "APP_DROPPER" | "CHARGEWARE" | "CLICK_FRAUD" | "TOLL_FRAUD" | "DATA_LEAK" | "DENYLISTED_APP" | "ADWARE" | "RISKWARE" | "SPAM" | "VULNERABILITY" | "SIDELOADED_APP" | "NON_APP_STORE_SIGNER" | "ROOTED_OR_JAILBROKEN" | "DEVICE_INTEGRITY_FAILED" | "OS_VULNERABILITY" | "DEVICE_INTEGRITY_UNVERIFIED" | "OUTDATED_OS" | "NO_DEVICE_LOCK" | "ENCRYPTION_DISABLED" | "UNKNOWN_SOURCES_ENABLED" | "DEVELOPER_MODE" | "USB_DEBUGGING" | "MAN_IN_THE_MIDDLE" | "ROGUE_WIFI" | "UNSECURED_WIFI" | "PHISHING" | "MALICIOUS_URL";
                  detectedAt: string;
                  id: string;
                  name?: string;
                  packageName?: string;
                  resolvedAt?: string;
                  /** @enum {string} */
                  riskLevel: "none" | "low" | "medium" | "high";
                };
              };
              id: string;
              occurredAt: string;
              tenantId: string;
              /** @constant */
              type: "threat.detected";
            } | {
              data: {
                device: {
                  deviceId: string;
                  deviceName: string;
                  intuneDeviceId: string;
                  /** @enum {string} */
                  platform: "ios" | "android";
                  /** @enum {string} */
                  riskLevel: "none" | "low" | "medium" | "high";
                  /** @enum {string} */
                  status: "pending" | "active" | "disconnected" | "deactivated";
                  userPrincipalName: string;
                };
                threat: {
                  /** @enum {string} */
                  category: "application" | "device" | "network" | "web";
                  /** @enum {string} */
                  classification: "TROJAN" | "SPY" | "SURVEILLANCE" | "BACKDOOR" | "BOT" | "EXPLOIT" | "ROOT_ENABLER" | "VIRUS" | "WORM" | "APP_DROPPER" | "CHARGEWARE" | "CLICK_FRAUD" | "TOLL_FRAUD" | "DATA_LEAK" | "DENYLISTED_APP" | "ADWARE" | "RISKWARE" | "SPAM" | "VULNERABILITY" | "SIDELOADED_APP" | "NON_APP_STORE_SIGNER" | "ROOTED_OR_JAILBROKEN" | "DEVICE_INTEGRITY_FAILED" | "OS_VULNERABILITY" | "DEVICE_INTEGRITY_UNVERIFIED" | "OUTDATED_OS" | "NO_DEVICE_LOCK" | "ENCRYPTION_DISABLED" | "UNKNOWN_SOURCES_ENABLED" | "DEVELOPER_MODE" | "USB_DEBUGGING" | "MAN_IN_THE_MIDDLE" | "ROGUE_WIFI" | "UNSECURED_WIFI" | "PHISHING" | "MALICIOUS_URL";
                  detectedAt: string;
                  id: string;
                  name?: string;
                  packageName?: string;
                  resolvedAt?: string;
                  /** @enum {string} */
                  riskLevel: "none" | "low" | "medium" | "high";
                };
              };
              id: string;
              occurredAt: string;
              tenantId: string;
              /** @constant */
              type: "threat.resolved";
            } | {
              data: {
                device: {
                  deviceId: string;
                  deviceName: string;
                  intuneDeviceId: string;
                  /** @enum {string} */
                  platform: "ios" | "android";
                  /** @enum {string} */
                  riskLevel: "none" | "low" | "medium" | "high";
                  /** @enum {string} */
                  status: "pending" | "active" | "disconnected" | "deactivated";
                  userPrincipalName: string;
                };
                previous: {
                  /** @enum {string} */
                  riskLevel: "none" | "low" | "medium" | "high";
                  /** @enum {string} */
                  status: "pending" | "active" | "disconnected" | "deactivated";
                };
              };
              id: string;
              occurredAt: string;
              tenantId: string;
              /** @constant */
              type: "device.discovered";
            } | {
              data: {
                device: {
                  deviceId: string;
                  deviceName: string;
                  intuneDeviceId: string;
                  /** @enum {string} */
                  platform: "ios" | "android";
                  /** @enum {string} */
                  riskLevel: "none" | "low" | "medium" | "high";
                  /** @enum {string} */
                  status: "pending" | "active" | "disconnected" | "deactivated";
                  userPrincipalName: string;
                };
                previous: {
                  /** @enum {string} */
                  riskLevel: "none" | "low" | "medium" | "high";
                  /** @enum {string} */
                  status: "pending" | "active" | "disconnected" | "deactivated";
                };
              };
              id: string;
              occurredAt: string;
              tenantId: string;
              /** @constant */
              type: "device.status_changed";
            } | {
              data: {
                device: {
                  deviceId: string;
                  deviceName: string;
                  intuneDeviceId: string;
                  /** @enum {string} */
                  platform: "ios" | "android";
                  /** @enum {string} */
                  riskLevel: "none" | "low" | "medium" | "high";
                  /** @enum {string} */
                  status: "pending" | "active" | "disconnected" | "deactivated";
                  userPrincipalName: string;
                };
                previous: {
                  /** @enum {string} */
                  riskLevel: "none" | "low" | "medium" | "high";
                  /** @enum {string} */
                  status: "pending" | "active" | "disconnected" | "deactivated";
                };
              };
              id: string;
              occurredAt: string;
              tenantId: string;
              /** @constant */
              type: "device.risk_changed";
            } | {
              data: {
                device: {
                  deviceId: string;
                  deviceName: string;
                  intuneDeviceId: string;
                  /** @enum {string} */
                  platform: "ios" | "android";
                  /** @enum {string} */
                  riskLevel: "none" | "low" | "medium" | "high";
                  /** @enum {string} */
                  status: "pending" | "active" | "disconnected" | "deactivated";
                  userPrincipalName: string;
                };
                reason: string;
                /** @enum {string} */
                target: "intune" | "entra";
              };
              id: string;
              occurredAt: string;
              tenantId: string;
              /** @constant */
              type: "device.enforcement_failed";
            } | {
              data: {
                action: string;
                actor: {
                  id: string;
                  name: string;
                };
                after: unknown;
                before: unknown;
                target: string;
              };
              id: string;
              occurredAt: string;
              tenantId: string;
              /** @constant */
              type: "audit.recorded";
            } | {
              data: {
                checks: ({
                  checkedAt: string;
                  detail: string;
                  name: string;
                  /** @enum {string} */
                  status: "healthy" | "degraded" | "unhealthy";
                } & {
                  [key: string]: unknown;
                })[];
                /** @enum {string} */
                previous: "healthy" | "degraded" | "unhealthy";
                /** @enum {string} */
                status: "healthy" | "degraded" | "unhealthy";
              };
              id: string;
              occurredAt: string;
              tenantId: string;
              /** @constant */
              type: "connector.health_changed";
            } | {
              data: {
                device: {
                  deviceId: string;
                  deviceName: string;
                  intuneDeviceId: string;
                  /** @enum {string} */
                  platform: "ios" | "android";
                  /** @enum {string} */
                  riskLevel: "none" | "low" | "medium" | "high";
                  /** @enum {string} */
                  status: "pending" | "active" | "disconnected" | "deactivated";
                  userPrincipalName: string;
                };
                endedBy?: string;
                override: {
                  createdBy: string;
                  expiresAt: string;
                  reason: string;
                  /** @enum {string} */
                  riskLevel: "none" | "low" | "medium" | "high";
                };
              };
              id: string;
              occurredAt: string;
              tenantId: string;
              /** @constant */
              type: "device.override_started";
            } | {
              data: {
                device: {
                  deviceId: string;
                  deviceName: string;
                  intuneDeviceId: string;
                  /** @enum {string} */
                  platform: "ios" | "android";
                  /** @enum {string} */
                  riskLevel: "none" | "low" | "medium" | "high";
                  /** @enum {string} */
                  status: "pending" | "active" | "disconnected" | "deactivated";
                  userPrincipalName: string;
                };
                endedBy?: string;
                override: {
                  createdBy: string;
                  expiresAt: string;
                  reason: string;
                  /** @enum {string} */
                  riskLevel: "none" | "low" | "medium" | "high";
                };
              };
              id: string;
              occurredAt: string;
              tenantId: string;
              /** @constant */
              type: "device.override_ended";
            } | {
              data: {
                device: {
                  deviceId: string;
                  deviceName: string;
                  intuneDeviceId: string;
                  /** @enum {string} */
                  platform: "ios" | "android";
                  /** @enum {string} */
                  riskLevel: "none" | "low" | "medium" | "high";
                  /** @enum {string} */
                  status: "pending" | "active" | "disconnected" | "deactivated";
                  userPrincipalName: string;
                };
                /**
                 * @description The attestation format sent (`none`: no attestation).
                 * @enum {string}
                 */
                format: "android-key" | "apple-app-attest" | "none";
                reason: string;
              };
              id: string;
              occurredAt: string;
              tenantId: string;
              /** @constant */
              type: "device.attestation_failed";
            }) | ({
              /** @description Detection Finding: 1 Create, 3 Close; Device Inventory Info: 1 Log. */
              activity_id: number;
              activity_name: string;
              category_name: string;
              /** @description 2 Findings or 5 Discovery. */
              category_uid: number;
              class_name: string;
              /** @description 2004 Detection Finding or 5001 Device Inventory Info. */
              class_uid: number;
              /** @description The device (OCSF Device object: uid, name, type_id 5 Mobile, os, owner, risk_level_id). */
              device?: {
                [key: string]: unknown;
              };
              /** @description Detection Finding only: uid (the threat id), title, types, analytic, created_time. */
              finding_info?: {
                [key: string]: unknown;
              };
              metadata: {
                /** @description The native event type, e.g. `threat.detected`. */
                event_code: string;
                product: {
                  name: string;
                  vendor_name: string;
                } & {
                  [key: string]: unknown;
                };
                tenant_uid: string;
                /** @description The event id (the same as in the native format and `webhook-id`). */
                uid: string;
                /** @description The OCSF schema version. */
                version: string;
              } & {
                [key: string]: unknown;
              };
              severity: string;
              /** @description 1 Informational, 2 Low, 3 Medium, 4 High. */
              severity_id: number;
              /** @description When the event occurred, epoch milliseconds. */
              time: number;
              time_dt: string;
              type_name: string;
              /** @description `class_uid` * 100 + `activity_id`. */
              type_uid: number;
            } & {
              [key: string]: unknown;
            }))[];
            nextCursor: string | null;
          };
        };
      };
      /** @description A bad cursor, type, limit, wait or format. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description Not a console user of a connected tenant, nor an application with `Events.Read`; or a restricted user whose `types` names `audit.recorded` (a restricted user's feed leaves those events out). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The caller's organization is being removed from this service (offboarding); nothing was done. */
      410: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getProviderAuditLog: {
    parameters: {
      query?: {
        /** @description `nextCursor` of the previous page. */
        cursor?: string;
        /** @description Entries per page (1..200, default 50). */
        limit?: number;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description A page of entries. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            items: {
              /** @enum {string} */
              action: "tenant.provision" | "tenant.offboard.start" | "tenant.offboard.complete";
              actor: {
                id: string;
                /** @enum {string} */
                kind: "user" | "application" | "functionKey" | "service";
                name: string;
              };
              at: string;
              detail: string | null;
              id: string;
              tenant: {
                displayName: string;
                tenantId: string;
              };
            }[];
            nextCursor: string | null;
          };
        };
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate"?: string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getProviderTenants: {
    parameters: {
      query?: {
        /** @description `nextCursor` of the previous page. */
        cursor?: string;
        /** @description Only tenants with this overall health (`unknown`: not checked yet). */
        health?: "healthy" | "degraded" | "unhealthy" | "unknown";
        /** @description Tenants per page, 1..1000 (100). */
        limit?: number;
        /** @description Only tenants with this status. */
        status?: "provisioned" | "active" | "offboarding";
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description A page of tenants, in tenant id order. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            items: {
              devices: {
                active: number;
                pending: number;
                total: number;
              };
              displayName: string;
              /** @enum {string} */
              health: "healthy" | "degraded" | "unhealthy" | "unknown";
              lastDiscoveryAt: string | null;
              lastHeartbeatAt: string | null;
              /** @enum {string} */
              status: "provisioned" | "active" | "offboarding";
              tenantId: string;
            }[];
            /** @description Pass as `cursor` for the next page; null on the last page. */
            nextCursor: string | null;
          };
        };
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate"?: string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  postProviderTenants: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "tenantId": "11111111-1111-4111-8111-111111111111",
         *       "displayName": "Contoso",
         *       "fullAccessGroupId": "5246c2f8-d5f2-45e8-9c62-63dd8231e980",
         *       "restrictedAccessGroupId": "feda78c3-5e3b-4f78-9232-3d1fa44c5789",
         *       "primaryContactEmail": "admin@contoso.com"
         *     }
         */
        "application/json": {
          /** @description The customer's name as support staff know it. */
          displayName: string;
          /** @description Object id of the Entra group whose members get full console access. */
          fullAccessGroupId: string;
          /**
           * Format: email
           * @description The customer's primary contact.
           */
          primaryContactEmail: string;
          /** @description Object id of the Entra group whose members get read-only (restricted) console access. */
          restrictedAccessGroupId?: string;
          /** @description The customer's Entra ID tenant id (GUID). */
          tenantId: string;
        };
      };
    };
    responses: {
      /** @description Provisioned; send `consentUrl` to the customer administrator. */
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /** @description Send this link to the customer's administrator to grant admin consent. */
            consentUrl: string;
            /** @constant */
            status: "provisioned";
            tenantId: string;
          };
        };
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate"?: string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The tenant is already provisioned. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The request body is larger than the route's limit. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The request body is not sent as `application/json`. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getProviderTenantsTenantId: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description The tenant id (GUID). */
        tenantId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The tenant and its connection health. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            consentUrl: string;
            counts: {
              devices: {
                active: number;
                deactivated: number;
                disconnected: number;
                pending: number;
                total: number;
              };
              enrollmentGroups: number;
            };
            createdAt: string;
            displayName: string;
            fullAccessGroupId: string;
            health: {
              consent: {
                at: string | null;
                by: string | null;
                granted: boolean;
              };
              lastConnectorHeartbeat: {
                at: string;
                result: string | null;
              } | null;
              lastEnrollmentSync: {
                at: string;
                result: ("ok" | "partial" | "failed") | null;
              } | null;
              lastError: {
                at: string;
                kind: string | null;
                message: string | null;
              } | null;
            };
            /** @description While `status` is `offboarding`: the job and its progress (then the tenant is gone: 404). */
            offboarding: {
              devices: {
                done: number;
                failed: number;
                total: number;
              };
              id: string;
              /**
               * @description `deactivate`: telling Intune `deactivated` and clearing Entra attributes; `stop`: webhooks and schedules; `delete`: deleting rows; `finish`: the tenant row.
               * @enum {string}
               */
              phase: "deactivate" | "stop" | "delete" | "finish";
              rowsDeleted: number;
              startedAt: string;
              /** @constant */
              status: "running";
              updatedAt: string;
            } | null;
            primaryContactEmail: string;
            restrictedAccessGroupId: string | null;
            /** @enum {string} */
            status: "provisioned" | "active" | "offboarding";
            tenantId: string;
          };
        };
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate"?: string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The tenant is not provisioned. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  deleteProviderTenantsTenantId: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description The tenant id (GUID). */
        tenantId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Offboarding started (or already under way: the same job). */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            devices: {
              done: number;
              failed: number;
              total: number;
            };
            id: string;
            /**
             * @description `deactivate`: telling Intune `deactivated` and clearing Entra attributes; `stop`: webhooks and schedules; `delete`: deleting rows; `finish`: the tenant row.
             * @enum {string}
             */
            phase: "deactivate" | "stop" | "delete" | "finish";
            rowsDeleted: number;
            startedAt: string;
            /** @constant */
            status: "running";
            updatedAt: string;
          };
        };
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate"?: string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The tenant is not provisioned (or was already removed). */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
  getProviderUsage: {
    parameters: {
      query: {
        /** @description `json` (default) or `csv` (RFC 4180, UTF-8, a header row). */
        format?: "json" | "csv";
        /** @description The month, `YYYY-MM` (UTC). */
        month: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The month's usage per tenant (JSON, or CSV with `format=csv`). */
      200: {
        headers: {
          /** @description With `format=csv`: `attachment; filename="usage-{month}.csv"`. */
          "Content-Disposition"?: string;
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            items: {
              averageActiveDevices: number;
              daysCounted: number;
              displayName: string;
              peakActiveDevices: number;
              tenantId: string;
            }[];
            month: string;
          };
          "text/csv": string;
        };
      };
      /** @description The input does not match the route's schema; `errors` names each field. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description No credential, or one that is refused (expired, wrong audience or issuer, revoked). */
      401: {
        headers: {
          /** @description The scheme to authenticate with (`Bearer`). */
          "WWW-Authenticate"?: string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The credential is valid but not enough: wrong role or scope, or the tenant is not connected. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description An unexpected fault; it is logged. Retry later. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
      /** @description The sign-in authority or directory cannot be reached to check the caller; retry after `Retry-After` seconds. */
      503: {
        headers: {
          /** @description Seconds to wait before retrying. */
          "Retry-After": string;
          [name: string]: unknown;
        };
        content: {
          "application/problem+json": components["schemas"]["Problem"];
        };
      };
    };
  };
}

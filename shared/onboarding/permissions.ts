/**
 * The Microsoft Graph application permissions the connector needs in a customer tenant (docs/DEPLOY.md, "Microsoft
 * Graph application permissions"). Consent is proven by an app-only token whose `roles` hold every one of them: Entra
 * ID issues such a token once the app is in the tenant, with whatever permissions were granted (maybe none).
 */
import type { Config } from '../base/config.js';

/**
 * What every provider's connector needs: discovery, group resolution, the Entra device attribute, and the tenant's
 * verified domains (error-report recipients must be in them).
 */
export const basePermissions = [
  'GroupMember.Read.All',
  'User.ReadBasic.All',
  'DeviceManagementManagedDevices.Read.All',
  'Device.ReadWrite.All',
  'Domain.Read.All',
] as const;

/** What an onboarded Intune MTD partner's connector needs besides: device health writes and the connector heartbeat. */
export const partnerPermissions = ['DeviceManagementManagedDevices.ReadWrite.All', 'DeviceManagementServiceConfig.ReadWrite.All'] as const;

/** The permissions consent must have granted, for this provider. */
export function requiredPermissions(config: Pick<Config, 'INTUNE_MTD_PARTNER'>): string[] {
  return config.INTUNE_MTD_PARTNER ? [...basePermissions, ...partnerPermissions] : [...basePermissions];
}

/**
 * The required permissions a token's `roles` lack. A `.ReadWrite.All` role stands in for its `.Read.All` (Graph grants
 * it every read the narrower one allows), and `User.Read.All` for `User.ReadBasic.All`.
 */
export function missingPermissions(roles: readonly string[], required: readonly string[]): string[] {
  const granted = new Set(roles);
  const covered = (permission: string): boolean =>
    granted.has(permission) ||
    (permission.endsWith('.Read.All') && granted.has(permission.replace(/\.Read\.All$/, '.ReadWrite.All'))) ||
    (permission === 'User.ReadBasic.All' && (granted.has('User.Read.All') || granted.has('User.ReadWrite.All')));
  return required.filter((permission) => !covered(permission));
}

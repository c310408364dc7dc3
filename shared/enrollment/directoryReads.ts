/**
 * What discovery reads from Graph, in bulk: the transitive user members of each enrollment group and the tenant's
 * iOS/Android managed devices, page by page. Nothing is written here; a failed page fails the whole read.
 *
 * Why no delta queries: managed devices have no delta, so every run reads the whole device list anyway (1,000 per
 * page), and a device can only be joined with its user's membership if the whole member set is at hand. `groups/delta`
 * reports direct members only, so using it would mean keeping every nested group's direct members between runs
 * (100k users: 100k stored references), reading that state back each run (as many storage pages as the Graph member
 * pages it replaces, 999 users per page), and computing the transitive closure ourselves; `users/delta` says nothing
 * about membership. The transitive-members query returns the flattened user set in about users/999 pages, which
 * costs no more than reading the stored state would, needs no state of its own, and cannot drift (no 410 resync).
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import { pages } from '../graph/index.js';
import { managedDeviceItemSchema, toIntuneDevice, type IntuneDevice } from './reconcile.js';

const memberUserSchema = z.object({ id: z.string(), userPrincipalName: z.string().nullish() });

/** Graph pages read, for the run's figures. */
export interface ReadCounters {
  pages: number;
}

export function transitiveUsersPath(groupId: string): string {
  return `/groups/${encodeURIComponent(groupId)}/transitiveMembers/microsoft.graph.user?$select=id,userPrincipalName&$top=999`;
}

export const managedDevicesPath =
  "/deviceManagement/managedDevices?$select=id,userId,userPrincipalName,deviceName,operatingSystem,osVersion,azureADDeviceId" +
  "&$filter=operatingSystem eq 'iOS' or operatingSystem eq 'Android'";

/**
 * Adds the users below a group (nested groups followed by Graph's transitive query) to `members`
 * (user id, lower case → user principal name). Returns how many users the group has.
 */
export async function readGroupUsers(
  client: Client,
  groupId: string,
  members: Map<string, string>,
  counters: ReadCounters,
  /** Also records, per user, the groups (display names) they were found in: per-group coverage. */
  memberOf?: { readonly groups: Map<string, string[]>; readonly displayName: string },
): Promise<number> {
  let count = 0;
  for await (const page of pages(client, transitiveUsersPath(groupId), memberUserSchema)) {
    counters.pages += 1;
    for (const user of page.items) {
      count += 1;
      members.set(user.id.toLowerCase(), user.userPrincipalName ?? '');
      if (memberOf) {
        const list = memberOf.groups.get(user.id.toLowerCase()) ?? [];
        if (!list.includes(memberOf.displayName)) list.push(memberOf.displayName);
        memberOf.groups.set(user.id.toLowerCase(), list);
      }
    }
  }
  return count;
}

/** Every iOS and Android managed device that has a user, by device id; anything else Graph returns is ignored. */
export async function readManagedDevices(client: Client, counters: ReadCounters): Promise<Map<string, IntuneDevice>> {
  const devices = new Map<string, IntuneDevice>();
  for await (const page of pages(client, managedDevicesPath, managedDeviceItemSchema)) {
    counters.pages += 1;
    for (const item of page.items) {
      const device = toIntuneDevice(item);
      if (device) devices.set(device.intuneDeviceId, device);
    }
  }
  return devices;
}

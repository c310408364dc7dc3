/**
 * Risk overrides (PUT/DELETE /api/v1/console/devices/{deviceId}/override): a time-boxed level for one device with a
 * reason. The device's detail carries the override in force (`override`); setting or ending one reads it again.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useSession } from '../context.js';
import { answer } from './client.js';
import { deviceKeys } from './devices.js';
import type { operations } from './schema.js';

export type OverrideBody = operations['putConsoleDevicesDeviceIdOverride']['requestBody']['content']['application/json'];
export type Override = operations['putConsoleDevicesDeviceIdOverride']['responses'][200]['content']['application/json']['override'];

/** A change moves the device's level: its detail and the device lists are read again. */
function useDeviceChanged(deviceId: string): () => void {
  const client = useQueryClient();
  return () => {
    void client.invalidateQueries({ queryKey: deviceKeys.detail(deviceId) });
    void client.invalidateQueries({ queryKey: deviceKeys.all });
  };
}

export function useSetOverride(deviceId: string) {
  const { api } = useSession();
  const changed = useDeviceChanged(deviceId);
  return useMutation({
    mutationFn: (body: OverrideBody) =>
      answer(api.PUT('/api/v1/console/devices/{deviceId}/override', { params: { path: { deviceId } }, body })),
    onSuccess: changed,
  });
}

export function useEndOverride(deviceId: string) {
  const { api } = useSession();
  const changed = useDeviceChanged(deviceId);
  return useMutation({
    mutationFn: () => answer(api.DELETE('/api/v1/console/devices/{deviceId}/override', { params: { path: { deviceId } } })),
    onSuccess: changed,
  });
}

/**
 * CPU used by the storage emulator, for the benches that tell the connector's work from Azurite's: Azurite runs in a
 * process of its own, found by its `--tablePort` argument in /proc (Linux; undefined elsewhere).
 */
import { readFileSync, readdirSync } from 'node:fs';

/** CPU milliseconds the Azurite process serving tables on `port` has used so far. */
export function azuriteCpuMs(port: number): number | undefined {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let args: string[];
      try {
        args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      } catch {
        continue;
      }
      const at = args.indexOf('--tablePort');
      if (at < 0 || args[at + 1] !== String(port)) continue;
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after the command name, in ticks of 10 ms.
      return (Number(fields[11]) + Number(fields[12])) * 10;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** CPU milliseconds this process has used so far. */
export function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/**
 * Feed positions: 13 digits of ms and 6 of a counter, so a tenant's feed rows (`f|{position}`) sort in publication
 * order and cursors, subscriber progress and retention can compare them as strings.
 */

/** A feed position: 13 digits of ms and 6 of a counter; sorts in publication order. */
export function feedPosition(ms: number, n: number): string {
  return `${String(ms).padStart(13, '0')}${String(n).padStart(6, '0')}`;
}
export const positionPattern = /^\d{19}$/;

/** The next `count` positions after the feed's last one (`last`), never before now and never repeating. */
export function nextPositions(last: string | undefined, nowMs: number, count: number): string[] {
  let ms = nowMs;
  let n = 0;
  if (last !== undefined && positionPattern.test(last)) {
    const lastMs = Number(last.slice(0, 13));
    const lastN = Number(last.slice(13));
    if (lastMs >= ms) {
      ms = lastMs;
      n = lastN + 1;
    }
  }
  const positions: string[] = [];
  for (let i = 0; i < count; i += 1) {
    if (n > 999_999) {
      ms += 1;
      n = 0;
    }
    positions.push(feedPosition(ms, n));
    n += 1;
  }
  return positions;
}

/** The position just before this one (a reader that had it has everything before this one). */
export function previousPosition(position: string): string | undefined {
  if (!positionPattern.test(position)) return undefined;
  const value = BigInt(position) - 1n;
  return value < 0n ? undefined : value.toString().padStart(19, '0');
}

/**
 * A bench's load generator: `total` tasks run by `workers` concurrent workers (worker w takes the next index as soon as
 * its previous task ends). Resolves with the seconds the whole pool took.
 */
export async function runPool(total: number, workers: number, task: (index: number, worker: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let index = next++; index < total; index = next++) await task(index, worker);
    }),
  );
  return (performance.now() - started) / 1000;
}

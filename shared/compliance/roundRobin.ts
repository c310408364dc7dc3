/**
 * Runs tasks with bounded concurrency, taking turns between keys (tenants): the next free slot goes to the next
 * key in rotation that has work, so a tenant with many tasks cannot hold back one with a few.
 */
export class RoundRobinLimiter {
  private readonly queues = new Map<string, (() => void)[]>();
  private readonly order: string[] = [];
  private turn = 0;
  private running = 0;

  constructor(private readonly concurrency: number) {}

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = (): void => {
        this.running += 1;
        task().then(resolve, reject).finally(() => {
          this.running -= 1;
          this.next();
        });
      };
      let queue = this.queues.get(key);
      if (!queue) {
        queue = [];
        this.queues.set(key, queue);
        this.order.push(key);
      }
      queue.push(start);
      this.next();
    });
  }

  private next(): void {
    while (this.running < Math.max(1, this.concurrency) && this.order.length > 0) {
      this.turn %= this.order.length;
      const key = this.order[this.turn];
      if (key === undefined) return;
      const queue = this.queues.get(key);
      const start = queue?.shift();
      if (!queue || queue.length === 0) {
        this.queues.delete(key);
        this.order.splice(this.turn, 1);
      } else {
        this.turn += 1;
      }
      start?.();
    }
  }
}

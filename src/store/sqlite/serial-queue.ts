/**
 * Runs work one piece at a time, in call order. SQLite has one connection per router: an
 * asynchronous transaction must not interleave with another piece of work on it (that work
 * would join, and be rolled back with, the transaction).
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => T | Promise<T>): Promise<T> {
    const result = this.tail.then(work);
    this.tail = result.then(ignore, ignore);
    return result;
  }
}

function ignore(): void {}

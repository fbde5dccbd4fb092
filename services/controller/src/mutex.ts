/** Runs tasks one at a time, in call order: a promise chain. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T> | T): Promise<T> {
    const result = this.tail.then(task);
    // The chain continues whether a task fails or not; the caller sees the failure.
    this.tail = result.catch(() => {});
    return result;
  }
}

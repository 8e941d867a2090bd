// Work for the run's one connection, done in the order it is asked for. Passes 1 and 2 hand the
// database their COPYs and the work that goes with them (before-images, reads ahead) and go on
// mapping records; only the queue waits for each piece.

/**
 * Database work queued on the run's connection in order, each piece started when the one before
 * it is done (postgres.js refuses a statement while a COPY is in progress, so nothing may be
 * pipelined behind one). `done` waits for all of it and throws the first failure.
 */
export class DatabaseQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private failure: { error: unknown } | null = null;

  add<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(() => {
      if (this.failure) throw this.failure.error; // the transaction is aborted: nothing more is sent
      return work();
    });
    result.catch((error: unknown) => {
      this.failure ??= { error };
    });
    this.tail = result.catch(() => {});
    return result;
  }

  async done(): Promise<void> {
    await this.tail;
    if (this.failure) throw this.failure.error;
  }
}

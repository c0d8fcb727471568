/**
 * The undo steps of a process's start-up: each part that started pushes how
 * to stop it; a later part that fails to start runs them newest first and
 * rethrows, so a refused door (a port in use) leaves nothing listening.
 */
export class StartupUndo {
  readonly #steps: Array<() => unknown> = [];

  /** Undone after every step pushed later, before every one pushed earlier. */
  push(undo: () => unknown): void {
    this.#steps.push(undo);
  }

  /** Starts a part; if it fails, undoes everything started before it and rethrows. */
  async start<T>(part: () => Promise<T>): Promise<T> {
    try {
      return await part();
    } catch (err) {
      for (const undo of this.#steps.splice(0).reverse()) await undo();
      throw err;
    }
  }
}

/** A one-way latch: closed while something starts, opened once; waiters give up after a bound. */
export class Gate {
  private opened = false;
  private release!: () => void;
  private readonly openPromise = new Promise<void>((resolve) => (this.release = resolve));

  get isOpen(): boolean {
    return this.opened;
  }

  open(): void {
    this.opened = true;
    this.release();
  }

  /** True once open; false if `timeoutMs` passed first. */
  async wait(timeoutMs: number): Promise<boolean> {
    if (this.opened) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([this.openPromise.then(() => true), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}

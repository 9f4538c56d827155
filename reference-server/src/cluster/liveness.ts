// What this node believes about its peers' liveness. Failed calls mark a peer down at once;
// a probe loop checks /health of peers believed down, so recovery is noticed quickly
// (hinted handoff replays when a peer comes back).
import type { PeerClient } from './peer-client.js';

export class Liveness {
  private down = new Map<string, number>();
  private listeners: Array<(nodeId: string) => void> = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly peers: PeerClient,
    private readonly urlOf: (nodeId: string) => string | undefined,
  ) {}

  isUp(nodeId: string): boolean {
    return !this.down.has(nodeId);
  }

  markDown(nodeId: string): void {
    if (!this.down.has(nodeId)) this.down.set(nodeId, Date.now());
  }

  markUp(nodeId: string): void {
    if (this.down.delete(nodeId)) for (const l of this.listeners) l(nodeId);
  }

  /** Called when a peer believed down answers again. */
  onRecovered(listener: (nodeId: string) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Of the given nodes believed down, those that still are after a fresh /health check (a
   * belief can be a few hundred ms stale: decisions that refuse work re-check first).
   */
  async confirmDown(nodeIds: string[], timeoutMs = 300): Promise<string[]> {
    const down = nodeIds.filter((id) => !this.isUp(id));
    const still = await Promise.all(
      down.map(async (id) => {
        const url = this.urlOf(id);
        if (!url) return id;
        try {
          const r = await this.peers.call(id, url, 'GET', '/health', { timeoutMs });
          if (r.status === 200) {
            this.markUp(id);
            return undefined;
          }
        } catch {
          /* down */
        }
        return id;
      }),
    );
    return still.filter((id): id is string => id !== undefined);
  }

  start(intervalMs = 300): void {
    this.timer = setInterval(() => void this.probe(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async probe(): Promise<void> {
    await Promise.all(
      [...this.down.keys()].map(async (id) => {
        const url = this.urlOf(id);
        if (!url) return this.down.delete(id);
        try {
          const r = await this.peers.call(id, url, 'GET', '/health', { timeoutMs: 500 });
          if (r.status === 200) this.markUp(id);
        } catch {
          /* still down */
        }
      }),
    );
  }
}

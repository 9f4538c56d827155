// Catalogs of one process talking through memory, for tests: as the HTTP transport, but
// deterministic, fast, and with links that can be cut and healed (hashicorp/raft's
// InmemTransport). Messages are copied as they would be serialized, so no two catalogs ever
// share an object.
import { HttpError } from '../util/errors.js';
import { parseWithBigInt, stringifyWithBigInt } from '../util/json.js';
import type { CatalogRequest, ProposeResult } from './consensus.js';
import { leaderUnreachable, type CatalogRpcHandler, type CatalogTransport, type LogPage } from './transport.js';

export class InMemoryCatalogNetwork {
  private readonly handlers = new Map<string, CatalogRpcHandler>();
  private readonly isolated = new Set<string>();

  /** Makes `nodeId` answer calls with `handler` (its catalog's rpc). */
  register(nodeId: string, handler: CatalogRpcHandler): void {
    this.handlers.set(nodeId, handler);
  }

  /** Cuts every link of `nodeId`: its calls and calls to it fail as if it were unreachable. */
  isolate(nodeId: string): void {
    this.isolated.add(nodeId);
  }

  heal(nodeId: string): void {
    this.isolated.delete(nodeId);
  }

  /** The transport `nodeId` calls its peers with. */
  transport(nodeId: string): CatalogTransport {
    const reach = async (peer: string): Promise<CatalogRpcHandler> => {
      await new Promise((resolve) => setImmediate(resolve)); // a call never completes synchronously
      const h = this.handlers.get(peer);
      if (!h || this.isolated.has(peer) || this.isolated.has(nodeId)) throw new Error(`node ${peer} unreachable from ${nodeId}`);
      return h;
    };
    return {
      async fetchLog(peer: string, from: number): Promise<LogPage | undefined> {
        try {
          return copy((await reach(peer)).page(from));
        } catch {
          return undefined;
        }
      },
      async pushEntries(peer: string, page: LogPage): Promise<void> {
        const h = await reach(peer);
        try {
          h.receive(copy(page), nodeId);
        } catch {
          // The peer answered (with an error): delivered, as over HTTP.
        }
      },
      async forwardPropose(leader: string, req: CatalogRequest): Promise<ProposeResult> {
        let h: CatalogRpcHandler;
        try {
          h = await reach(leader);
        } catch (err) {
          throw leaderUnreachable(leader, err);
        }
        try {
          return copy(await h.leaderHandle(copy(req)));
        } catch (err) {
          throw err instanceof HttpError ? err : new HttpError(500, (err as Error).message);
        }
      },
    };
  }
}

function copy<T>(value: T): T {
  return parseWithBigInt<T>(stringifyWithBigInt(value));
}

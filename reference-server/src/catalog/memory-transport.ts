// Catalogs of one process talking through memory, for tests: as the HTTP transport, but
// deterministic, fast, and with links that can be cut and healed (hashicorp/raft's
// InmemTransport). Messages are copied as they would be serialized, so no two catalogs ever
// share an object.
import { HttpError } from '../util/errors.js';
import { parseWithBigInt, stringifyWithBigInt } from '../util/json.js';
import { cloneCatalog } from './state.js';
import type { CatalogRequest, ProposeResult } from './consensus.js';
import { ForwardUncertain, LeaderUnreachable, type CatalogRpcHandler, type CatalogTransport } from './transport.js';
import type { SnapshotRequest } from './raft/messages.js';

export class InMemoryCatalogNetwork {
  private readonly handlers = new Map<string, CatalogRpcHandler>();
  private readonly isolated = new Set<string>();
  /** Links cut one way or both: "from>to". */
  private readonly cut = new Set<string>();
  /** Links whose replies are lost: "from>to". */
  private readonly lost = new Set<string>();
  /** Nodes whose replies are held back until releaseReplies(), and those replies' release. */
  private readonly holding = new Set<string>();
  private held: Array<() => void> = [];

  /** Makes `nodeId` answer calls with `handler` (its catalog's rpc). */
  register(nodeId: string, handler: CatalogRpcHandler): void {
    this.handlers.set(nodeId, handler);
  }

  /** As a stopped process: calls to it fail. */
  unregister(nodeId: string): void {
    this.handlers.delete(nodeId);
  }

  /** Cuts every link of `nodeId`: its calls and calls to it fail as if it were unreachable. */
  isolate(nodeId: string): void {
    this.isolated.add(nodeId);
  }

  heal(nodeId: string): void {
    this.isolated.delete(nodeId);
  }

  /** Cuts the link from `from` to `to` only: `from`'s calls fail, `to`'s calls still go through. */
  cutOneWay(from: string, to: string): void {
    this.cut.add(`${from}>${to}`);
  }

  /** Calls from `from` to `to` are delivered and handled, but their replies are lost (a timeout after sending). */
  loseReplies(from: string, to: string): void {
    this.lost.add(`${from}>${to}`);
  }

  /** Replies to `nodeId`'s calls wait (the calls were handled) until releaseReplies(). */
  holdReplies(nodeId: string): void {
    this.holding.add(nodeId);
  }

  /** How many replies are held back. */
  get heldReplies(): number {
    return this.held.length;
  }

  releaseReplies(): void {
    this.holding.clear();
    const held = this.held;
    this.held = [];
    for (const release of held) release();
  }

  /** Cuts the links between two nodes, both ways. */
  cutLink(a: string, b: string): void {
    this.cut.add(`${a}>${b}`).add(`${b}>${a}`);
  }

  healAll(): void {
    this.isolated.clear();
    this.cut.clear();
    this.lost.clear();
  }

  /** The transport `nodeId` calls its peers with. */
  transport(nodeId: string): CatalogTransport {
    const reach = async (peer: string): Promise<CatalogRpcHandler> => {
      await new Promise((resolve) => setImmediate(resolve)); // a call never completes synchronously
      const h = this.handlers.get(peer);
      if (!h || this.isolated.has(peer) || this.isolated.has(nodeId) || this.cut.has(`${nodeId}>${peer}`)) throw new Error(`node ${peer} unreachable from ${nodeId}`);
      return h;
    };
    /** The answer travels back over the same link: cut meanwhile, it is lost. */
    const back = async <T>(peer: string, value: T): Promise<T> => {
      await reach(peer);
      if (this.holding.has(nodeId)) await new Promise<void>((resolve) => this.held.push(resolve));
      if (this.lost.has(`${nodeId}>${peer}`)) throw new Error(`reply from ${peer} to ${nodeId} lost`);
      return copy(value);
    };
    return {
      requestVote: async (peer, req) => back(peer, (await reach(peer)).requestVote(copy(req))),
      appendEntries: async (peer, req) => back(peer, (await reach(peer)).appendEntries(copy(req))),
      installSnapshot: async (peer, req) => {
        const sent = copy(req) as SnapshotRequest;
        sent.snapshot.state = cloneCatalog(sent.snapshot.state);
        return back(peer, (await reach(peer)).installSnapshot(sent));
      },
      probe: async (peer) => {
        try {
          return copy((await reach(peer)).probe());
        } catch {
          return undefined;
        }
      },
      async forwardPropose(leader: string, req: CatalogRequest): Promise<ProposeResult> {
        let h: CatalogRpcHandler;
        try {
          h = await reach(leader);
        } catch (err) {
          throw new LeaderUnreachable(leader, err); // never delivered
        }
        let result: ProposeResult;
        try {
          result = await h.leaderHandle(copy(req));
        } catch (err) {
          throw err instanceof HttpError ? err : new HttpError(500, (err as Error).message);
        }
        try {
          return await back(leader, result);
        } catch (err) {
          throw new ForwardUncertain(leader, err); // delivered, handled, the answer lost
        }
      },
    };
  }
}

function copy<T>(value: T): T {
  return parseWithBigInt<T>(stringifyWithBigInt(value));
}

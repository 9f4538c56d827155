// The replicated catalog as the rest of the node sees it: the applied state, proposals, the
// leader, and where each node is. How changes are agreed on is the Consensus behind it (Raft,
// raft/raft-node.ts); how the log is stored and how nodes talk are pieces of that
// (raft/storage.ts, transport.ts). raftCatalog() wires them together.
import type { CatalogCommand } from './commands.js';
import type { CatalogState } from './state.js';
import type { CatalogRequest, Consensus, ProposeResult } from './consensus.js';
import type { CatalogRpcHandler } from './transport.js';
import type { RaftStatus } from './raft/messages.js';
import { RaftConsensus, type PeerAddress, type RaftParts } from './raft/raft-node.js';

export type { CatalogRequest, ProposeResult } from './consensus.js';
export type { PeerAddress } from './raft/raft-node.js';

export class Catalog {
  constructor(
    private readonly consensus: Consensus,
    /** What this node answers to peers' catalog calls (the /internal/catalog/* routes). */
    readonly rpc: CatalogRpcHandler,
    private readonly selfId: string,
    private readonly bootstrapPeers: PeerAddress[],
  ) {}

  get state(): CatalogState {
    return this.consensus.state;
  }

  get version(): number {
    return this.consensus.state.version;
  }

  get leaderId(): string | undefined {
    return this.consensus.leader;
  }

  get isLeader(): boolean {
    return this.consensus.leader === this.selfId;
  }

  /** Whether start() has finished: the catalog can take and order changes. */
  get ready(): boolean {
    return this.consensus.ready;
  }

  /** GET /api/v3/cluster/raft. */
  raftStatus(): RaftStatus {
    return this.consensus.status();
  }

  /** URL of a node, from the catalog or the bootstrap peer list. */
  urlOf(nodeId: string): string | undefined {
    return this.state.nodes[nodeId]?.url ?? this.bootstrapPeers.find((p) => p.id === nodeId)?.url;
  }

  /** Called with every command this node applies, in order. */
  onApplied(listener: (cmd: CatalogCommand) => void): void {
    this.consensus.onApplied(listener);
  }

  open(): void {
    this.consensus.open();
  }

  start(): Promise<void> {
    return this.consensus.start();
  }

  stop(): void {
    this.consensus.stop();
  }

  /** Submits a request to the leader and returns once this node has applied its outcome. */
  propose(req: CatalogRequest, traceId?: string): Promise<ProposeResult> {
    return this.consensus.propose(req, traceId);
  }

  /** Catches up with the leader, or with `from`. */
  sync(from?: string): Promise<void> {
    return this.consensus.sync(from);
  }

  /** A peer showed a newer catalog version in a request header. */
  noteVersion(version: number, from?: string): Promise<void> {
    return this.consensus.noteVersion(version, from);
  }
}

/** A catalog agreed on with Raft. */
export function raftCatalog(p: RaftParts): Catalog {
  const raft = new RaftConsensus(p);
  return new Catalog(raft, raft, p.selfId, p.bootstrapPeers);
}

// The catalog's Raft (Ongaro & Ousterhout): one node per term leads, elected by a majority of
// the voters with randomized timeouts (and a pre-vote, so a node back from a partition cannot
// depose a healthy leader); the leader plans each request (catalog/plan.ts), appends its
// commands to its log and replicates them; an entry of the leader's term commits once a
// majority of voters hold it, and every node applies committed entries in log order. Term,
// vote and log are fsynced before any answer that depends on them. A leader that cannot hear
// from a majority steps down (check-quorum), so requests on a minority fail with 503 instead
// of waiting forever.
import crypto from 'node:crypto';
import type { Logger } from '../../util/log.js';
import { HttpError } from '../../util/errors.js';
import { Mutex } from '../../util/mutex.js';
import { Gate } from '../../util/gate.js';
import { applyCommand, type CatalogCommand } from '../commands.js';
import { cloneCatalog, emptyCatalog, type CatalogState } from '../state.js';
import type { CatalogRequest, Consensus, ProposeResult } from '../consensus.js';
import { planChange } from '../plan.js';
import { LeaderUnreachable, NOT_LEADER, type CatalogRpcHandler, type CatalogTransport } from '../transport.js';
import type { AppendReply, AppendRequest, RaftEntry, RaftProbe, RaftRole, RaftStatus, SnapshotRequest, VoteReply, VoteRequest } from './messages.js';
import type { RaftStorage } from './storage.js';
import { RaftLog } from './log.js';
import { ElectionTimer } from './election-timer.js';
import { DEFAULT_TIMING, type RaftTiming } from './timing.js';
import { nextMembershipChange, quorum } from './membership.js';
import { monotonicMs } from './clock.js';
import { dropsBetween } from './snapshot-drops.js';
import { Replicator, type Progress } from './replication.js';

export interface PeerAddress {
  id: string;
  url: string;
}

export interface RaftParts {
  selfId: string;
  /** The initial --peers list: the first voters, and where a node with no log looks for a cluster. */
  bootstrapPeers: PeerAddress[];
  storage: RaftStorage;
  transport: CatalogTransport;
  log: Logger;
  timing?: Partial<RaftTiming>;
  /** Seeded in tests. */
  random?: () => number;
}


export class RaftConsensus implements Consensus, CatalogRpcHandler {
  state: CatalogState = emptyCatalog();
  private term = 0;
  private votedFor: string | null = null;
  private role: 'follower' | 'candidate' | 'leader' = 'follower';
  private leaderId: string | undefined;
  private commitIndex = 0;
  private lastApplied = 0;
  private voters: string[] = [];
  private readonly raftLog: RaftLog;
  private readonly replicator: Replicator;
  private leaderSince = 0;
  private lastLeaderContact = 0;
  private nextHeartbeat = 0;
  private lastTick = 0;
  /** Check-quorum counts from here after this node's own event loop stalled. */
  private quorumGraceFrom = 0;
  private electing = false;
  private reconciling = false;
  /** No log yet: set once probing the bootstrap peers found no cluster (so this node may found it). */
  private clusterLooksEmpty = false;
  /** No log yet and a cluster exists that does not list this node: it waits to be added. */
  private joiner = false;
  private probing = false;
  private nextProbe = 0;
  private closed = false;
  private timer?: NodeJS.Timeout;
  private listeners: Array<(cmd: CatalogCommand) => void> = [];
  /** Checks of pending waitUntil calls. */
  private readonly waiters = new Set<() => void>();
  /** One request planned and committed at a time: each is planned against the state it applies to. */
  private readonly mutex = new Mutex();
  private readonly started = new Gate();
  private readonly selfId: string;
  private readonly bootstrapPeers: PeerAddress[];
  private readonly storage: RaftStorage;
  private readonly transport: CatalogTransport;
  private readonly log: Logger;
  private readonly timing: RaftTiming;
  private readonly election: ElectionTimer;

  constructor(parts: RaftParts) {
    ({ selfId: this.selfId, bootstrapPeers: this.bootstrapPeers, storage: this.storage, transport: this.transport, log: this.log } = parts);
    this.timing = { ...DEFAULT_TIMING, ...parts.timing };
    this.raftLog = new RaftLog(this.storage);
    this.election = new ElectionTimer(this.timing.electionMinMs, this.timing.electionMaxMs, parts.random ?? Math.random);
    this.replicator = new Replicator({
      selfId: this.selfId,
      raftLog: this.raftLog,
      transport: this.transport,
      timing: this.timing,
      log: this.log,
      now: () => ({ term: this.term, leading: this.isLeader && !this.closed, commitIndex: this.commitIndex, clusterId: this.state.cluster_id }),
      sawTerm: (term) => this.becomeFollower(term),
      matched: () => this.advanceCommit(),
    });
  }

  private get progress(): Map<string, Progress> {
    return this.replicator.progress;
  }

  get leader(): string | undefined {
    return this.role === 'leader' ? this.selfId : this.leaderId;
  }

  get ready(): boolean {
    return this.started.isOpen;
  }

  private get isLeader(): boolean {
    return this.role === 'leader';
  }

  /** Whether this node has a log (entries or a snapshot): it belongs to a cluster. */
  private get bootstrapped(): boolean {
    return this.raftLog.lastIndex > 0;
  }

  onApplied(listener: (cmd: CatalogCommand) => void): void {
    this.listeners.push(listener);
  }

  /** Loads term, vote and log, and applies what was known committed before the restart. */
  open(): void {
    const { hard, snapshot, entries, commit } = this.storage.load();
    this.term = hard.term;
    this.votedFor = hard.voted_for;
    this.raftLog.load(snapshot, entries);
    this.state = snapshot ? cloneCatalog(snapshot.state) : emptyCatalog();
    this.commitIndex = this.lastApplied = this.raftLog.snapshotIndex;
    // Replayed without telling the listeners: what those commands did to this node is done.
    this.commitIndex = Math.max(this.commitIndex, Math.min(commit, this.raftLog.lastIndex));
    this.applyCommitted(false);
    this.refreshVoters();
  }

  /**
   * Starts the timers and waits until this node can serve catalog requests: it knows a leader
   * and has applied the catalog, or it is a joiner waiting to be added, or (no majority up)
   * the wait ran out; requests then fail with 503 rather than hang.
   */
  async start(): Promise<void> {
    this.election.reset();
    this.timer = setInterval(() => this.tick(), this.timing.tickMs);
    this.timer.unref();
    await this.waitUntil(() => (this.leader !== undefined && this.state.version > 0) || this.joiner, this.timing.startWaitMs);
    this.started.open();
  }

  stop(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.storage.close();
    this.wakeWaiters();
  }

  status(): RaftStatus {
    const members = new Set([...this.voters, ...this.progress.keys(), ...Object.keys(this.state.nodes)]);
    return {
      node_id: this.selfId,
      role: this.roleName(),
      term: this.term,
      leader: this.leader ?? null,
      commit_index: this.commitIndex,
      last_applied: this.lastApplied,
      voters: [...this.voters].sort(),
      members: [...members].sort().map((id) => {
        const p = this.progress.get(id);
        const self = id === this.selfId;
        return {
          id,
          voter: this.voters.includes(id),
          match_index: self ? this.raftLog.lastIndex : (p?.match ?? 0),
          next_index: self ? this.raftLog.lastIndex + 1 : (p?.next ?? 0),
        };
      }),
    };
  }

  private roleName(): RaftRole {
    if (this.role !== 'follower') return this.role;
    return this.voters.includes(this.selfId) ? 'follower' : 'learner';
  }

  probe(): RaftProbe {
    return {
      node_id: this.selfId,
      term: this.term,
      leader: this.leader ?? null,
      last_log_index: this.raftLog.lastIndex,
      commit_index: this.commitIndex,
      cluster_id: this.state.cluster_id,
      nodes: Object.keys(this.state.nodes),
    };
  }

  // ---- requests --------------------------------------------------------------------------

  /** Hands the request to the leader (this node or the one it knows), riding out an election. */
  async propose(req: CatalogRequest, traceId?: string, retried = false): Promise<ProposeResult> {
    const deadline = monotonicMs() + this.timing.leaderWaitMs;
    let why = 'no leader has been elected';
    for (;;) {
      this.checkOpen();
      const leader = this.leader;
      if (leader) {
        try {
          if (leader === this.selfId) return await this.handleAsLeader(req, retried);
          const result = await this.transport.forwardPropose(leader, req, traceId);
          return this.afterForward(leader, req, result);
        } catch (err) {
          // Only a request nothing of which was appended is retried: a leader that never got it
          // (LeaderUnreachable), or one that was not the leader any more when it came to plan it
          // (421, here or on the forwarded-to node). Anything else may have committed.
          if (!(err instanceof LeaderUnreachable) && !(err instanceof HttpError && err.status === NOT_LEADER)) throw err;
          why = err.message.replace(/^no catalog leader is reachable: /, '');
        }
      }
      if (monotonicMs() >= deadline) {
        throw new HttpError(503, `no catalog leader is reachable from node ${this.selfId} (term ${this.term}, waited ${this.timing.leaderWaitMs / 1000} s): ${why}; retry shortly`);
      }
      await sleep(Math.min(50, this.timing.heartbeatMs));
    }
  }

  private async afterForward(leader: string, req: CatalogRequest, result: ProposeResult): Promise<ProposeResult> {
    if (this.state.cluster_id && result.cluster_id !== this.state.cluster_id) {
      throw new HttpError(503, `no catalog leader is reachable: catalog leader ${leader} belongs to another cluster (${result.cluster_id}, ours ${this.state.cluster_id})`);
    }
    // The leader answers once it applied the change; the commit reaches us with its next append.
    // It committed either way: a node that cannot catch up in time still answers success (an
    // error would invite a retry that applies it twice), and says it lags in its log.
    if (!(await this.waitUntil(() => this.state.version >= result.version, this.timing.leaderWaitMs))) {
      this.log.warn({ catalog_version: this.state.version, committed_version: result.version, leader }, 'catalog change committed on the leader but not applied here yet');
      // A write's schema and shards, or a layout, are read from this node's catalog right after:
      // without them here it cannot go on. These intents are idempotent, so a retry is safe.
      if (req.kind !== 'command') {
        throw new HttpError(503, `no catalog leader is reachable: the catalog change committed on leader ${leader} (version ${result.version}) but node ${this.selfId} has not applied it yet (it is at ${this.state.version}); retrying is safe`);
      }
    }
    return result;
  }

  /**
   * Leader side of `propose`: plan, append, replicate, and answer once committed and applied.
   * If the leadership is lost meanwhile, the outcome is settled rather than guessed: the entries
   * committed under a later leader (success), or another entry committed at the first one's
   * index (then nothing of it can ever commit, and the request goes to the new leader).
   */
  leaderHandle(req: CatalogRequest): Promise<ProposeResult> {
    return this.handleAsLeader(req, false);
  }

  private async handleAsLeader(req: CatalogRequest, retried: boolean): Promise<ProposeResult> {
    let pending: Pending | undefined;
    try {
      return await this.mutex.run(async () => {
        const term = this.requireLeader();
        // A leader cut off from the majority appends nothing: its refusal is then a clean one.
        const heard = await this.waitUntil(() => !this.isLeader || this.term !== term || this.majorityHeardRecently(), this.timing.leaderWaitMs);
        if (!heard) {
          throw new HttpError(503, `no catalog leader is reachable: node ${this.selfId} leads term ${term} but has not heard from a majority of voters ${JSON.stringify(this.voters)} for ${this.timing.leaderWaitMs / 1000} s; nothing was changed`);
        }
        // Entries of earlier terms, and this term's no-op, applied first: the plan sees the state it applies to.
        await this.waitCommitted(this.raftLog.lastIndex, term);
        // Planned first: a removal the catalog refuses anyway (the node still owns shards) says why.
        const plan = planChange(this.state, req);
        if (req.kind === 'command' && req.command.type === 'remove_node' && req.command.id === this.selfId) {
          throw new HttpError(409, `node ${this.selfId} is the catalog leader and cannot be removed; decommission it first (it then hands over leadership)`);
        }
        if (plan.commands.length > 0) {
          const base = this.raftLog.lastIndex;
          this.appendAsLeader(plan.commands.map((command, i): RaftEntry => ({ index: base + i + 1, term, command })));
          pending = { first: base + 1, index: this.raftLog.lastIndex, term, rejected: plan.rejected };
          await this.waitCommitted(pending.index, term);
        }
        return { version: this.state.version, cluster_id: this.state.cluster_id, rejected: plan.rejected };
      });
    } catch (err) {
      if (!(err instanceof CommitUncertain) || retried) throw err;
      if (!pending) return this.propose(req, undefined, true); // nothing of it was appended: ask the new leader
      return this.settle(req, pending);
    }
  }

  /** After losing the leadership with `pending` appended: wait to learn whether it committed. */
  private async settle(req: CatalogRequest, pending: Pending): Promise<ProposeResult> {
    // Only what is committed decides: an entry overwritten in this node's log may still be
    // held by another node that becomes leader and commits it (Raft paper, figure 8). Entries
    // never change index, so once another entry committed at `first`, none of ours ever can.
    const outcome = (): 'committed' | 'overwritten' | 'unknown' => {
      if (this.lastApplied < pending.first) return 'unknown';
      const firstTerm = this.raftLog.termAt(pending.first);
      if (firstTerm === undefined) return 'unknown'; // compacted: whose it was is gone
      if (firstTerm !== pending.term) return 'overwritten';
      if (this.lastApplied < pending.index) return 'unknown';
      // The first is ours: the last is too if committed with our term (log matching), else only a part committed.
      return this.raftLog.termAt(pending.index) === pending.term ? 'committed' : 'unknown';
    };
    await this.waitUntil(() => outcome() !== 'unknown', this.timing.leaderWaitMs);
    const result = outcome();
    if (result === 'committed') return { version: this.state.version, cluster_id: this.state.cluster_id, rejected: pending.rejected };
    if (result === 'overwritten') return this.propose(req, undefined, true);
    throw new HttpError(503, `no catalog leader is reachable: node ${this.selfId} lost the catalog leadership (term ${pending.term}) before the change committed, and cannot tell yet whether it did; it may still commit`);
  }

  private requireLeader(): number {
    this.checkOpen();
    if (!this.isLeader) throw new HttpError(NOT_LEADER, `node ${this.selfId} is not the catalog leader (${this.leaderId ?? 'none known'} is)`);
    return this.term;
  }

  /** Resolves once `index` is committed and applied; CommitUncertain if leadership is lost or no majority answers in time. */
  private async waitCommitted(index: number, term: number): Promise<void> {
    // Applied up to `index` is not enough: a new leader may have put its own entry there.
    const committed = () => {
      if (this.lastApplied < index) return false;
      const at = this.raftLog.termAt(index);
      return at === term || (at === undefined && this.isLeader && this.term === term); // compacted, still ours
    };
    await this.waitUntil(() => committed() || !this.isLeader || this.term !== term, this.timing.leaderWaitMs);
    if (committed()) return;
    const why = this.isLeader && this.term === term ? `could not reach a majority of voters ${JSON.stringify(this.voters)}` : 'lost the leadership';
    throw new CommitUncertain(`no catalog leader is reachable: node ${this.selfId}, leader in term ${term}, ${why} before the change committed; it may still commit`);
  }

  /** Catches up with the leader (or `from`): waits until this node applied what it has committed. */
  async sync(from?: string): Promise<void> {
    const source = this.leaderId ?? from;
    if (!source || source === this.selfId || this.isLeader) return;
    const p = await this.transport.probe(source, 2000);
    if (!p || (p.cluster_id && this.state.cluster_id && p.cluster_id !== this.state.cluster_id)) return;
    await this.waitUntil(() => this.lastApplied >= p.commit_index, 2000);
  }

  /** `from` is not asked: under Raft the entries come from the leader only, so this waits for its appends. */
  async noteVersion(version: number, _from?: string): Promise<void> {
    if (version > this.state.version) await this.waitUntil(() => this.state.version >= version, 1000);
  }

  // ---- RPC handlers ----------------------------------------------------------------------

  requestVote(req: VoteRequest): VoteReply {
    this.checkOpen();
    if (!this.sameCluster(req.cluster_id, req.candidate_id)) return { term: this.term, granted: false };
    const logOk = req.last_log_term > this.raftLog.lastTerm || (req.last_log_term === this.raftLog.lastTerm && req.last_log_index >= this.raftLog.lastIndex);
    // A node with no log that has not found the cluster empty may be a voter whose data dir was
    // wiped: it forgot the votes it gave, and could give a second one in a term. It votes again
    // once it holds the log (caught up); at the very first start every probe finds no cluster.
    if (!this.bootstrapped && !this.clusterLooksEmpty) return { term: this.term, granted: false };
    if (req.pre_vote) {
      // Not while a leader is heard from: a node back from a partition must not depose it.
      const leaderAlive = this.isLeader || (this.leaderId !== undefined && monotonicMs() - this.lastLeaderContact < this.timing.electionMinMs);
      return { term: this.term, granted: req.term > this.term && logOk && !leaderAlive };
    }
    if (req.term < this.term) return { term: this.term, granted: false };
    if (req.term > this.term) this.becomeFollower(req.term);
    const granted = logOk && (this.votedFor === null || this.votedFor === req.candidate_id);
    if (granted && this.votedFor !== req.candidate_id) {
      this.votedFor = req.candidate_id;
      this.persistHardState(); // fsynced before the vote leaves this node
    }
    if (granted) this.election.reset();
    return { term: this.term, granted };
  }

  appendEntries(req: AppendRequest): AppendReply {
    this.checkOpen();
    if (!this.sameCluster(req.cluster_id, req.leader_id)) return { term: this.term, success: false, last_log_index: this.raftLog.lastIndex, refused: 'another cluster' };
    if (req.term < this.term) return { term: this.term, success: false, last_log_index: this.raftLog.lastIndex };
    this.followLeader(req.term, req.leader_id);
    const snapIndex = this.raftLog.snapshotIndex;
    if (req.prev_log_index > this.raftLog.lastIndex) return { term: this.term, success: false, last_log_index: this.raftLog.lastIndex };
    if (req.prev_log_index >= snapIndex && this.raftLog.termAt(req.prev_log_index) !== req.prev_log_term) {
      return { term: this.term, success: false, last_log_index: Math.min(this.raftLog.lastIndex, req.prev_log_index - 1) };
    }
    const fresh: RaftEntry[] = [];
    let configChanged = false;
    for (const e of req.entries) {
      if (e.index <= snapIndex) continue;
      if (fresh.length === 0 && e.index <= this.raftLog.lastIndex) {
        if (this.raftLog.termAt(e.index) === e.term) continue;
        // A conflicting suffix (from a deposed leader): never a committed entry.
        if (e.index <= this.commitIndex) throw new HttpError(500, `leader ${req.leader_id} contradicts committed entry ${e.index}`);
        this.raftLog.truncateFrom(e.index);
        configChanged = true;
      }
      fresh.push(e);
      if (e.voters) configChanged = true;
    }
    if (fresh.length > 0) this.raftLog.append(fresh); // fsynced before the ack
    if (configChanged) this.refreshVoters();
    const lastNew = req.prev_log_index + req.entries.length;
    if (req.leader_commit > this.commitIndex) this.commitIndex = Math.max(this.commitIndex, Math.min(req.leader_commit, lastNew));
    this.applyCommitted();
    return { term: this.term, success: true, last_log_index: this.raftLog.lastIndex };
  }

  installSnapshot(req: SnapshotRequest): AppendReply {
    this.checkOpen();
    if (!this.sameCluster(req.cluster_id, req.leader_id)) return { term: this.term, success: false, last_log_index: this.raftLog.lastIndex, refused: 'another cluster' };
    if (req.term < this.term) return { term: this.term, success: false, last_log_index: this.raftLog.lastIndex };
    this.followLeader(req.term, req.leader_id);
    const snap = req.snapshot;
    if (snap.index > this.commitIndex) {
      this.raftLog.installSnapshot(snap);
      const before = this.state;
      this.state = cloneCatalog(snap.state);
      for (const cmd of dropsBetween(before, this.state)) for (const l of this.listeners) l(cmd);
      this.commitIndex = this.lastApplied = snap.index;
      this.refreshVoters();
      this.log.info({ index: snap.index, from: req.leader_id, catalog_version: this.state.version }, 'catalog snapshot installed');
    }
    return { term: this.term, success: true, last_log_index: this.raftLog.lastIndex };
  }

  // ---- roles -----------------------------------------------------------------------------

  private followLeader(term: number, leader: string): void {
    if (term > this.term || this.role !== 'follower') this.becomeFollower(term);
    this.leaderId = leader;
    this.lastLeaderContact = monotonicMs();
    this.election.reset();
  }

  private becomeFollower(term: number): void {
    if (this.closed) return;
    if (this.role === 'leader') this.log.info({ term: this.term, new_term: term }, 'catalog leader stepping down');
    if (term > this.term) {
      this.term = term;
      this.votedFor = null;
      this.leaderId = undefined;
      this.persistHardState();
    }
    this.role = 'follower';
    this.progress.clear();
  }

  private persistHardState(): void {
    this.checkOpen(); // after stop() the storage is closed (maybe its dir gone): never write to it
    this.storage.saveHardState({ term: this.term, voted_for: this.votedFor });
  }

  /** Runs `work` from a timer: a failure (a disk error, say) is logged, never an unhandled rejection. */
  private background(work: Promise<void>, what: string): void {
    work.catch((err) => {
      if (!this.closed) this.log.error({ err: (err as Error).message }, what);
    });
  }

  /** Voters may campaign; a learner, a Decommissioned node, or a node with no log in an existing cluster does not. */
  private canCampaign(): boolean {
    if (!this.voters.includes(this.selfId)) return false;
    if (this.state.nodes[this.selfId]?.status === 'Decommissioned') return false;
    return this.bootstrapped || this.clusterLooksEmpty;
  }

  private async campaign(): Promise<void> {
    this.electing = true;
    try {
      const voters = this.voters;
      const began = monotonicMs();
      // Pre-vote first: nobody changes term unless this node could actually win.
      const pre = await this.gatherVotes(voters, true);
      // A leader spoke up meanwhile: follow it instead.
      if (this.isLeader || !pre || this.closed || this.lastLeaderContact >= began) return;
      this.term += 1;
      this.votedFor = this.selfId;
      this.role = 'candidate';
      this.leaderId = undefined;
      this.persistHardState();
      this.election.reset();
      const term = this.term;
      const won = await this.gatherVotes(voters, false);
      if (won && this.term === term && this.role === 'candidate' && !this.closed) this.becomeLeader();
    } finally {
      this.electing = false;
      if (!this.isLeader) this.election.reset();
    }
  }

  /** Asks `voters` for a vote; true once a majority (this node included) granted it. */
  private gatherVotes(voters: string[], preVote: boolean): Promise<boolean> {
    const req: VoteRequest = {
      term: preVote ? this.term + 1 : this.term,
      candidate_id: this.selfId,
      last_log_index: this.raftLog.lastIndex,
      last_log_term: this.raftLog.lastTerm,
      pre_vote: preVote,
      cluster_id: this.state.cluster_id,
    };
    const need = quorum(voters);
    const others = voters.filter((v) => v !== this.selfId);
    let granted = voters.includes(this.selfId) ? 1 : 0;
    let answered = 0;
    return new Promise((resolve) => {
      if (granted >= need) return resolve(true);
      if (others.length === 0) return resolve(false);
      for (const peer of others) {
        this.transport.requestVote(peer, req, this.timing.rpcTimeoutMs).then(
          (reply) => {
            if (this.closed) return; // answered after stop(): nothing is written any more
            if (reply.term > this.term && !reply.granted) this.becomeFollower(reply.term);
            if (reply.granted) granted++;
          },
          () => undefined,
        ).catch((err) => this.log.error({ peer, err: (err as Error).message }, 'catalog vote answer could not be recorded')).finally(() => {
          answered++;
          if (granted >= need) resolve(true);
          else if (answered === others.length) resolve(false);
        });
      }
    });
  }

  private becomeLeader(): void {
    this.role = 'leader';
    this.leaderId = this.selfId;
    this.leaderSince = monotonicMs();
    this.progress.clear();
    this.log.info({ term: this.term, voters: this.voters }, 'catalog leader elected');
    const next = this.raftLog.lastIndex + 1;
    if (!this.bootstrapped) {
      // A new cluster: the initial voters, then the catalog's founding command.
      const nodes = this.bootstrapPeers.map((p) => ({ id: p.id, url: p.url }));
      this.appendAsLeader([
        { index: next, term: this.term, voters: nodes.map((n) => n.id) },
        { index: next + 1, term: this.term, command: { type: 'bootstrap', cluster_id: crypto.randomUUID(), leader: this.selfId, nodes } },
      ]);
    } else {
      // Entries of earlier terms commit only under one of this term (Raft paper, 5.4.2).
      this.appendAsLeader([{ index: next, term: this.term }]);
    }
  }

  private appendAsLeader(entries: RaftEntry[]): void {
    this.checkOpen();
    this.raftLog.append(entries); // fsynced: the leader counts itself among those holding them
    if (entries.some((e) => e.voters)) this.refreshVoters();
    this.advanceCommit();
    this.replicateAll();
  }

  private refreshVoters(): void {
    const before = this.voters;
    this.voters = this.raftLog.latestVoters().voters ?? (this.bootstrapped ? [] : this.bootstrapPeers.map((p) => p.id));
    if (before.length > 0 && before.join() !== this.voters.join()) this.log.info({ voters: this.voters, before }, 'catalog voters changed');
  }

  // ---- replication -----------------------------------------------------------------------

  /** Voters and every node of the catalog (learners among them) but this one. */
  private replicationTargets(): string[] {
    const ids = new Set([...this.voters, ...Object.keys(this.state.nodes)]);
    ids.delete(this.selfId);
    return [...ids];
  }

  private replicateAll(): void {
    if (this.isLeader) this.replicator.replicateTo(this.replicationTargets(), this.leaderSince);
  }

  /** The commit rule: the highest entry of this term held by a majority of voters. */
  private advanceCommit(): void {
    if (!this.isLeader || this.closed) return;
    const need = quorum(this.voters);
    for (let n = this.raftLog.lastIndex; n > this.commitIndex; n--) {
      if (this.raftLog.termAt(n) !== this.term) break;
      const holders = this.voters.filter((v) => (v === this.selfId ? true : (this.progress.get(v)?.match ?? 0) >= n)).length;
      if (holders >= need) {
        this.commitIndex = n;
        this.applyCommitted();
        this.replicateAll(); // tell followers at once, not at the next heartbeat
        break;
      }
    }
  }

  private applyCommitted(notify = true): void {
    if (this.closed) return;
    const before = this.lastApplied;
    while (this.lastApplied < this.commitIndex) {
      const e = this.raftLog.at(this.lastApplied + 1);
      if (!e) break;
      this.lastApplied = e.index;
      if (!e.command) continue;
      try {
        applyCommand(this.state, e.command);
      } catch (err) {
        // Planned against this very state on the leader, so this should not happen; keep going.
        this.log.error({ index: e.index, command: e.command.type, err: (err as Error).message }, 'committed catalog command failed to apply');
        continue;
      }
      if (this.isLeader) this.log.info({ catalog_version: this.state.version, index: e.index, command: e.command.type }, 'catalog change committed');
      if (notify) for (const l of this.listeners) l(e.command);
    }
    if (this.lastApplied !== before) this.storage.saveCommitIndex(this.lastApplied);
    this.maybeSnapshot();
    this.wakeWaiters();
  }

  private maybeSnapshot(): void {
    if (this.lastApplied - this.raftLog.snapshotIndex < this.timing.snapshotEvery) return;
    const index = this.lastApplied;
    this.raftLog.installSnapshot({ index, term: this.raftLog.termAt(index)!, voters: this.raftLog.votersAt(index) ?? this.voters, state: cloneCatalog(this.state) });
    this.log.info({ index, catalog_version: this.state.version }, 'catalog log compacted into a snapshot');
  }

  // ---- timers ----------------------------------------------------------------------------

  private tick(): void {
    if (this.closed) return;
    this.wakeWaiters();
    const now = monotonicMs();
    if (this.lastTick > 0 && now - this.lastTick > this.timing.electionMinMs / 2) {
      // This node's event loop was blocked (a big write, a heavy query): the heartbeats and
      // answers queued meanwhile are not read yet. Give peers a fresh window, do not blame them.
      this.quorumGraceFrom = now;
      if (!this.isLeader) this.election.reset(now);
      if (now - this.lastTick > this.timing.electionMaxMs) this.log.warn({ stalled_ms: Math.round(now - this.lastTick), role: this.role }, 'catalog timers ran late: the event loop was blocked');
    }
    this.lastTick = now;
    if (this.isLeader) {
      if (now >= this.nextHeartbeat) {
        this.nextHeartbeat = now + this.timing.heartbeatMs;
        this.replicateAll();
      }
      this.checkQuorum(now);
      if (this.isLeader) this.background(this.reconcileMembership(), 'catalog membership change failed');
      return;
    }
    if (this.leaderId !== undefined && now - this.lastLeaderContact > this.timing.electionMaxMs) this.leaderId = undefined;
    if (!this.bootstrapped && !this.probing && now >= this.nextProbe) this.background(this.probePeers(), 'catalog probe failed');
    if (this.election.expired(now) && !this.electing) {
      if (this.canCampaign()) this.background(this.campaign(), 'catalog election failed');
      else this.election.reset(now);
    }
  }

  /** Whether a majority of voters answered this leader within the last election timeout. */
  private majorityHeardRecently(): boolean {
    const now = monotonicMs();
    const window = this.timing.electionMaxMs;
    if (now - Math.max(this.leaderSince, this.quorumGraceFrom) < window) return true;
    return this.voters.filter((v) => v === this.selfId || now - (this.progress.get(v)?.lastContact ?? 0) < window).length >= quorum(this.voters);
  }

  /** A leader that has not heard from a majority for two election timeouts steps down. */
  private checkQuorum(now: number): void {
    const window = 2 * this.timing.electionMaxMs;
    if (now - Math.max(this.leaderSince, this.quorumGraceFrom) < window) return;
    const heard = this.voters.filter((v) => v === this.selfId || now - (this.progress.get(v)?.lastContact ?? 0) < window).length;
    const decommissioned = this.state.nodes[this.selfId]?.status === 'Decommissioned';
    if (heard >= quorum(this.voters) && !decommissioned) return;
    this.log.warn({ term: this.term, heard, voters: this.voters, decommissioned }, 'catalog leader stepping down: ' + (decommissioned ? 'it is decommissioned' : 'no majority of voters answers'));
    this.role = 'follower';
    this.leaderId = undefined;
    this.progress.clear();
    this.election.reset(now);
  }

  /** With no log yet: does a cluster exist (then wait to be replicated to), or found one? */
  private async probePeers(): Promise<void> {
    this.probing = true;
    try {
      const others = this.bootstrapPeers.filter((p) => p.id !== this.selfId);
      const probes = await Promise.all(others.map((p) => this.transport.probe(p.id, 500)));
      const existing = probes.filter((p): p is RaftProbe => !!p && (p.last_log_index > 0 || p.leader !== null));
      this.clusterLooksEmpty = existing.length === 0;
      this.joiner = existing.some((p) => p.nodes.length > 0 && !p.nodes.includes(this.selfId));
    } finally {
      this.probing = false;
      this.nextProbe = monotonicMs() + this.timing.electionMinMs;
    }
  }

  /** Leader: make the next one-voter membership change, or mark a caught-up joiner Active. */
  private async reconcileMembership(): Promise<void> {
    if (this.reconciling || !this.started.isOpen) return;
    if (this.raftLog.latestVoters().index > this.commitIndex) return; // one change at a time
    if (this.raftLog.termAt(this.commitIndex) !== this.term) return; // nothing of this term committed yet
    const change = nextMembershipChange(this.voters, this.state, this.selfId, (id) => (this.progress.get(id)?.match ?? 0) >= this.commitIndex);
    if (!change) return;
    this.reconciling = true;
    try {
      if (change.kind === 'activate') {
        await this.leaderHandle({ kind: 'command', command: { type: 'set_node_status', id: change.id, status: 'Active' } });
        this.log.info({ node: change.id }, 'node caught up on the catalog: Active');
        return;
      }
      await this.mutex.run(async () => {
        const term = this.requireLeader();
        const voters = change.kind === 'add_voter' ? [...this.voters, change.id].sort() : this.voters.filter((v) => v !== change.id);
        this.appendAsLeader([{ index: this.raftLog.lastIndex + 1, term, voters }]);
        await this.waitCommitted(this.raftLog.lastIndex, term);
      });
    } catch (err) {
      this.log.warn({ change, err: (err as Error).message }, 'catalog membership change failed');
    } finally {
      this.reconciling = false;
    }
  }

  // ---- helpers ---------------------------------------------------------------------------

  private sameCluster(theirs: string, from: string): boolean {
    if (!theirs || !this.state.cluster_id || theirs === this.state.cluster_id) return true;
    this.log.error({ peer: from, theirs, ours: this.state.cluster_id }, 'ignoring a catalog peer of another cluster');
    return false;
  }

  private checkOpen(): void {
    if (this.closed) throw new HttpError(503, `node ${this.selfId}: the catalog is stopped`);
  }

  /**
   * Resolves true once `cond` holds, false if `timeoutMs` passed (or the catalog stopped) first.
   * Conditions are rechecked whenever something is applied and on every tick (role and term
   * changes), not polled each on its own timer: a busy node has many requests waiting.
   */
  private waitUntil(cond: () => boolean, timeoutMs: number): Promise<boolean> {
    if (cond()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(ok);
      };
      const check = () => {
        if (this.closed) done(false);
        else if (cond()) done(true);
      };
      const timer = setTimeout(() => done(cond()), timeoutMs);
      this.waiters.add(check);
    });
  }

  private wakeWaiters(): void {
    for (const check of [...this.waiters]) check();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A change appended by this leader, at indexes first..index of `term`. */
interface Pending {
  first: number;
  index: number;
  term: number;
  rejected: Record<string, string>;
}

/** A change appended but not known to be committed: the caller settles the outcome. */
class CommitUncertain extends HttpError {
  constructor(message: string) {
    super(503, message);
  }
}

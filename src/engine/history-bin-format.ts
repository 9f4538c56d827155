// history.bin: the compact copy of history.jsonl that `phantom-test check` reads
// (docs/history.md, "history.bin: the compact copy"). The writer (src/reporters/history-binary.ts)
// and the reader (src/checkers/history-bin.ts) share these numbers and nothing else.
// Little-endian throughout. A reader that meets another version reads history.jsonl.

export const BIN_MAGIC = Buffer.from('PHHISTB', 'latin1');
export const BIN_VERSION = 1;

/**
 * Header: magic (7 bytes), version (u16), then the slot the writer rewrites after each
 * batch. It names the last SYNC in the file: bin bytes up to its end (f64), the
 * history.jsonl bytes and lines the bin covers (f64, f64), and a check of the jsonl's last
 * covered bytes: their count (u32) and FNV-1a hash (u32). And it names the jsonl as it was
 * when the slot was written, even after the copy stopped: its size (f64) and modification
 * time in nanoseconds (u64). The reader uses the bin only for exactly that jsonl.
 */
export const SLOT_AT = 9;
export const Slot = {
  binEnd: SLOT_AT,
  coveredBytes: SLOT_AT + 8,
  coveredLines: SLOT_AT + 16,
  tailBytes: SLOT_AT + 24,
  tailHash: SLOT_AT + 28,
  jsonlSize: SLOT_AT + 32,
  jsonlMtimeNs: SLOT_AT + 40,
} as const;
export const HEADER_BYTES = SLOT_AT + 48;
/** How many of the jsonl's last covered bytes the slot's check hashes. */
export const TAIL_CHECK_BYTES = 4096;

/** Record: kind (u8), body length (u32), body. */
export const RECORD_HEAD = 5;
export const Rec = {
  /** A string (utf8) with the next string id. */
  DefString: 1,
  /** A series (table, then tag key/value pairs as recorded) with the next series id. */
  DefSeries: 2,
  /** A repeated small value's JSON with the next value id. */
  DefValue: 3,
  /** One history entry (one jsonl line). */
  Op: 4,
  /** End of a batch: the jsonl bytes (f64) and lines (f64) written up to here. */
  Sync: 5,
} as const;

/** An entry's value in an Op record. */
export const Val = {
  None: 0,
  /** JSON text. */
  Json: 1,
  /** A DefValue id. */
  Shared: 2,
  /**
   * A write invoke: db, points in binary, then the rest of the value (its JSON with
   * `"points":0` and `"body":0` in their places) as Shared + id or Json + text, then the
   * body if it has one (u8 1 + text, or u8 0).
   */
  Write: 3,
  /** The inline part as JSON, then the sidecar's file and keys, as the jsonl line has them. */
  Sidecar: 4,
} as const;

/** A field value in a Write's point. */
export const Field = {
  Number: 0,
  String: 1,
  True: 2,
  False: 3,
  /** An integer beyond 2^53, as decimal text (the history records such as strings). */
  BigInt: 4,
} as const;

export const OP_TYPES = ['invoke', 'ok', 'fail', 'info'] as const;
/** A node id meaning null (nemesis operations). */
export const NO_ID = 0xffffffff;

/** FNV-1a of buf[from, to): the slot's check of the jsonl's tail. */
export function fnv1a(buf: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h >>> 0;
}

// A tar stream of in-memory entries: what the engine's build API takes as its context.
// Small on purpose (ustar, plus a PAX header for paths over 100 bytes): no dependency for
// something this size, and the entries never touch a temp dir on the way.

import { Readable } from 'node:stream';

export interface TarEntry {
  /** Path inside the archive, without a leading '/'; directories end with '/'. */
  path: string;
  /** File contents; absent for a directory. */
  data?: Buffer;
  mode?: number;
}

const BLOCK = 512;

/** The archive as a stream: each entry's header, its data padded to a block, then two zero blocks. */
export function tarStream(entries: Iterable<TarEntry>): Readable {
  function* chunks(): Generator<Buffer> {
    for (const e of entries) {
      const isDir = e.data === undefined;
      const size = e.data?.length ?? 0;
      if (Buffer.byteLength(e.path) > 100) {
        const record = paxRecord('path', e.path);
        yield header({ name: 'PaxHeader', size: record.length, mode: 0o644, type: 'x' });
        yield* padded(record);
      }
      yield header({ name: e.path.slice(0, 100), size, mode: e.mode ?? (isDir ? 0o755 : 0o644), type: isDir ? '5' : '0' });
      if (e.data) yield* padded(e.data);
    }
    yield Buffer.alloc(BLOCK * 2);
  }
  return Readable.from(chunks(), { objectMode: false });
}

function* padded(data: Buffer): Generator<Buffer> {
  yield data;
  const rest = data.length % BLOCK;
  if (rest) yield Buffer.alloc(BLOCK - rest);
}

/** "<len> key=value\n", where len counts itself. */
function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len++;
  return Buffer.from(`${len}${body}`);
}

function header(h: { name: string; size: number; mode: number; type: string }): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(h.name, 0, 100, 'utf8');
  octal(b, 100, 8, h.mode);
  octal(b, 108, 8, 0);
  octal(b, 116, 8, 0);
  octal(b, 124, 12, h.size);
  octal(b, 136, 12, 0); // mtime 0: the same inputs give the same archive
  b.write(h.type, 156, 1, 'ascii');
  b.write('ustar\u000000', 257, 8, 'ascii');
  // The checksum is computed with its own field as spaces.
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  return b;
}

function octal(b: Buffer, at: number, width: number, n: number): void {
  b.write(`${n.toString(8).padStart(width - 1, '0')}\u0000`, at, width, 'ascii');
}

// Writes that are all or nothing on a nearly full disk. write(2) there writes what fits and
// returns the count without an error; a log that took that as written would hold a torn
// record in its middle, and the next record appended would be glued onto it.
import fs from 'node:fs';

/** Writes all of `buf` at the fd's position, or throws (ENOSPC once the disk is full). */
export function writeFully(fd: number, buf: Buffer): void {
  for (let off = 0; off < buf.length;) {
    const n = fs.writeSync(fd, buf, off);
    if (n <= 0) throw Object.assign(new Error(`write made no progress at byte ${off} of ${buf.length}`), { code: 'ENOSPC' });
    off += n;
  }
}

/**
 * Appends `text` to a file opened for appending: all of it, or (the write failed) none of it,
 * the file cut back to its size before.
 */
export function appendWhole(fd: number, text: string): void {
  const sizeBefore = fs.fstatSync(fd).size;
  try {
    writeFully(fd, Buffer.from(text, 'utf8'));
  } catch (err) {
    try {
      fs.ftruncateSync(fd, sizeBefore);
    } catch {
      /* the write error below is the one to report */
    }
    throw err;
  }
}

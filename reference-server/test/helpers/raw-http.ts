// Raw HTTP/1.1 over a TCP socket, for requests fetch() refuses to send: odd request targets,
// methods, headers and framing. Sends the bytes, half-closes, and reads what comes back.
import net from 'node:net';

export interface RawReply {
  /** Status of the first final response, 0 when the server closed without one. */
  status: number;
  /** Everything the server sent. */
  text: string;
  /** The body of that response (after the blank line). */
  body: string;
  /** The server neither answered nor closed within the timeout. */
  timedOut: boolean;
}

export function rawRequest(port: number, bytes: string | Buffer, timeoutMs = 5000): Promise<RawReply> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, timeoutMs);
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      // Skip interim answers (100 Continue): the status is the first final one.
      const final = /^HTTP\/1\.[01] ([2-5]\d\d)/m.exec(text);
      const start = final?.index ?? 0;
      const sep = text.indexOf('\r\n\r\n', start);
      resolve({ status: final ? Number(final[1]) : 0, text, body: sep < 0 ? '' : text.slice(sep + 4), timedOut });
    });
    socket.end(bytes);
  });
}

/** A GET with the given request target, as a client would send it. */
export function rawGet(port: number, target: string, timeoutMs?: number): Promise<RawReply> {
  return rawRequest(port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, timeoutMs);
}

// Outside proof that a link fault took effect: what a client dialing the link sees. A probe
// connects and sends a tiny `GET /health`; any answer byte means the link carries traffic.
import net from 'node:net';

export type ProbeResult = 'connects' | 'refused' | 'hangs';

export interface Dialable {
  port: number;
  host?: string;
}

const REQUEST = 'GET /health HTTP/1.1\r\nHost: phantom-probe\r\nConnection: close\r\n\r\n';

/**
 * 'connects': an answer came back. 'refused': the connection was refused, or reset or closed
 * before any answer (a `reject` cut). 'hangs': no answer within `timeoutMs` (a `drop` cut).
 */
export function probeLink(target: Dialable, timeoutMs = 200): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: target.host ?? '127.0.0.1', port: target.port, noDelay: true });
    const done = (result: ProbeResult) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done('hangs'), timeoutMs);
    socket.on('connect', () => socket.write(REQUEST));
    socket.once('data', () => done('connects'));
    socket.on('error', () => done('refused'));
    socket.on('end', () => done('refused'));
  });
}

/**
 * Milliseconds from sending `GET /health` on a connected socket to the first answer byte:
 * the latency a link adds shows here (connection setup is left out: the proxy accepts it
 * locally whatever the link's shape).
 */
export function timedRoundTrip(target: Dialable, timeoutMs = 5000): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: target.host ?? '127.0.0.1', port: target.port, noDelay: true });
    let sentAt = 0;
    const fail = (why: string) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(`round trip through 127.0.0.1:${target.port} failed: ${why}`));
    };
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
    socket.on('connect', () => {
      sentAt = performance.now();
      socket.write(REQUEST);
    });
    socket.once('data', () => {
      const ms = performance.now() - sentAt;
      clearTimeout(timer);
      socket.destroy();
      resolve(ms);
    });
    socket.on('error', (err) => fail(err.message));
    socket.on('end', () => fail('closed before answering'));
  });
}

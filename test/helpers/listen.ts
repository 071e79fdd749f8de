import net from 'node:net';
import type { TestApp } from './app.ts';

/** Makes a test app listen on a free port of 127.0.0.1 and returns the port. */
export async function listen(t: TestApp): Promise<number> {
  await t.app.http.listen({ host: '127.0.0.1', port: 0 });
  const address = t.app.http.server.address();
  if (address === null || typeof address !== 'object') throw new Error('not listening');
  return address.port;
}

/**
 * A raw TCP connection (from localAddress, any 127.x.y.z on Linux, when given): what it receives and when it closes.
 * `connected` rejects when the connection fails. A connection still open after timeoutMs (default 20 s) is
 * destroyed, so `closed` always settles: a test that waits for the server to close it then sees the time it took,
 * or what the server never sent.
 */
export function rawConnection(port: number, localAddress?: string, timeoutMs = 20_000) {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress });
  let received = '';
  socket.on('data', (d) => (received += d.toString('utf8')));
  socket.on('error', () => {});
  const t0 = Date.now();
  const limit = setTimeout(() => socket.destroy(), timeoutMs);
  limit.unref();
  const closed = new Promise<number>((resolve) => {
    socket.on('close', () => {
      clearTimeout(limit);
      resolve(Date.now() - t0);
    });
  });
  const connected = new Promise<void>((resolve, reject) => {
    socket.on('connect', () => resolve());
    socket.on('close', () => reject(new Error(`the connection to port ${port} closed before it was made`)));
  });
  connected.catch(() => {}); // awaited by the tests that need it; a connection the server refuses is theirs to see
  return { socket, connected, closed, received: () => received };
}

/**
 * A raw connection that sends `first` at once and then `rest` one character every `everyMs`, stopping when
 * the server closes the socket (or `stop()`). `sent` counts the characters of `rest` sent.
 */
export function trickle(port: number, opts: { first: string; rest: string; everyMs: number; localAddress?: string }) {
  const c = rawConnection(port, opts.localAddress);
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  void c.connected.then(() => {
    c.socket.write(opts.first);
    timer = setInterval(() => {
      if (!c.socket.writable || sent >= opts.rest.length) return clearInterval(timer);
      c.socket.write(opts.rest[sent++]);
    }, opts.everyMs);
  });
  void c.closed.then(() => clearInterval(timer));
  return {
    ...c,
    sent: () => sent,
    stop: () => {
      clearInterval(timer);
      c.socket.destroy();
    },
  };
}

import net from 'node:net';
import type { TestApp } from './app.ts';

/** Makes a test app listen on a free port of 127.0.0.1 and returns the port. */
export async function listen(t: TestApp): Promise<number> {
  await t.app.http.listen({ host: '127.0.0.1', port: 0 });
  const address = t.app.http.server.address();
  if (address === null || typeof address !== 'object') throw new Error('not listening');
  return address.port;
}

/** A raw TCP connection: what it receives and when it closes. */
export function rawConnection(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (d) => (received += d.toString('utf8')));
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) => {
    const t0 = Date.now();
    socket.on('close', () => resolve(Date.now() - t0));
  });
  const connected = new Promise<void>((resolve) => socket.on('connect', () => resolve()));
  return { socket, connected, closed, received: () => received };
}

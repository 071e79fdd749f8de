import type { Server } from 'node:http';
import net, { type Socket } from 'node:net';
import { AppError, type ErrorCode } from '../errors.ts';
import { rawErrorReply } from './client-errors.ts';

/** How long a refused connection is still read (and what it sends dropped) after its 503: closed then, it gets a FIN, not a reset. */
const LINGER_MS = 1000;
/** Refused connections lingering at once at most; past that a refused connection is closed at once (possibly a reset). */
const MAX_LINGERING = 1024;

/** The eight 16-bit groups of an IPv6 address (a zone id dropped, an IPv4 tail as two groups), or null. */
function ipv6Groups(address: string): number[] | null {
  let a = address.toLowerCase().split('%')[0];
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (v4) {
    const [b0, b1, b2, b3] = v4.slice(1).map(Number);
    a = `${a.slice(0, v4.index)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const [head, tail, extra] = a.split('::');
  if (extra !== undefined) return null;
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? 0 : 8 - h.length - t.length;
  const groups = [...h, ...Array<string>(Math.max(0, zeros)).fill('0'), ...t].map((g) => parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : null;
}

/**
 * Whose share a connection counts against: an IPv4 address (also when a dual-stack socket reports it as
 * ::ffff:a.b.c.d), or an IPv6 client's /64 network, the block a single host or LAN is normally given (one
 * address per connection costs an IPv6 attacker nothing).
 */
export function addressKey(address: string | undefined): string {
  if (address === undefined) return '';
  if (net.isIPv4(address)) return address;
  const g = net.isIPv6(address) ? ipv6Groups(address) : null;
  if (g === null) return address;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `${g[6] >> 8}.${g[6] & 0xff}.${g[7] >> 8}.${g[7] & 0xff}`;
  return `${g
    .slice(0, 4)
    .map((x) => x.toString(16))
    .join(':')}::/64`;
}

export interface ConnectionCaps {
  /** Open connections at most; 0 = no limit. */
  total: number;
  /** Open connections per address (addressKey) at most; 0 = no limit. */
  perAddress: number;
}

/**
 * Caps the connections the server serves, in all and per address, so that one client trickling requests on
 * many connections cannot take every place. A connection over a cap is answered a 503 overloaded with
 * Retry-After and closed, instead of the reset Node's own server.maxConnections gives.
 *
 * Node's HTTP server takes each accepted socket in its own 'connection' listener; the caps sit in front of it,
 * which hands on only the sockets admitted (a refused one is never parsed).
 */
export function capConnections(server: Server, caps: ConnectionCaps, onRejected: (code: ErrorCode) => void = () => {}): void {
  const serve = server.listeners('connection') as ((this: Server, socket: Socket) => void)[];
  server.removeAllListeners('connection');
  const perAddress = new Map<string, number>();
  let open = 0;
  let lingering = 0;

  function refuse(socket: Socket, message: string): void {
    socket.on('error', () => {}); // a client that resets while refused is no concern
    onRejected('overloaded');
    if (lingering >= MAX_LINGERING) {
      socket.destroy();
      return;
    }
    lingering++;
    socket.end(rawErrorReply(new AppError('overloaded', message, [], { 'retry-after': '1' })));
    socket.resume(); // read and drop the request, so that closing does not reset the reply away
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    socket.once('end', () => socket.destroy());
    socket.once('close', () => {
      clearTimeout(timer);
      lingering--;
    });
  }

  server.on('connection', (socket: Socket) => {
    const key = addressKey(socket.remoteAddress);
    const mine = perAddress.get(key) ?? 0;
    if (caps.total > 0 && open >= caps.total)
      return refuse(socket, 'The server has too many open connections; retry after the Retry-After delay');
    if (caps.perAddress > 0 && mine >= caps.perAddress)
      return refuse(socket, 'Too many open connections from your address; close some or retry later');
    open++;
    perAddress.set(key, mine + 1);
    socket.once('close', () => {
      open--;
      const left = (perAddress.get(key) ?? 1) - 1;
      if (left === 0) perAddress.delete(key);
      else perAddress.set(key, left);
    });
    for (const listener of serve) listener.call(server, socket);
  });
}

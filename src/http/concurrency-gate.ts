import type { FastifyReply, FastifyRequest } from 'fastify';

/** One request's place at a gate: `ready` settles when it may go on; `leave` gives the place back (idempotent). */
export interface GateTicket {
  ready: Promise<void>;
  leave(): void;
}

export interface ConcurrencyGate {
  enter(): GateTicket;
  /** Requests past the gate now, and waiting in front of it. */
  stats(): { active: number; waiting: number };
}

/**
 * Lets at most `limit` requests through at once; the rest wait in arrival order. A request that leaves while
 * still waiting (its client went away) is dropped from the line without ever taking a place.
 */
export function createConcurrencyGate(limit: number): ConcurrencyGate {
  let active = 0;
  const line: (() => void)[] = [];
  return {
    enter() {
      let state: 'waiting' | 'in' | 'left' = 'waiting';
      let admit!: () => void;
      const ready = new Promise<void>((resolve) => {
        admit = () => {
          state = 'in';
          active++;
          resolve();
        };
      });
      if (active < limit) admit();
      else line.push(admit);
      return {
        ready,
        leave() {
          if (state === 'waiting') {
            line.splice(line.indexOf(admit), 1);
          } else if (state === 'in') {
            active--;
            line.shift()?.();
          }
          state = 'left';
        },
      };
    },
    stats: () => ({ active, waiting: line.length }),
  };
}

/**
 * An onRequest hook that waits for a place at the gate before the body is read, so waiting requests hold only their
 * sockets; registered on a route of an authenticated scope, it runs after the scope's hook, so only a known caller
 * ever takes or waits for a place. The place is given back when the reply closes (answered, failed or abandoned).
 */
export function throughGate(gate: ConcurrencyGate) {
  return async (_request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const ticket = gate.enter();
    reply.raw.once('close', ticket.leave);
    await ticket.ready;
  };
}

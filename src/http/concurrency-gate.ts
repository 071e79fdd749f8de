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

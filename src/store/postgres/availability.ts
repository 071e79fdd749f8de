import type { Logger } from 'pino';
import { AppError } from '../../errors.ts';
import { isUnavailable } from './errors.ts';

export interface Availability {
  /** Runs one store operation, turning an outage into store_unavailable and logging each change of state once. */
  run<T>(work: () => Promise<T>): Promise<T>;
}

/**
 * Logs when PostgreSQL becomes unreachable and when it is back, once per change rather than once per
 * request, so an outage under load does not flood the log.
 */
export function createAvailability(log: Logger): Availability {
  let down = false;
  return {
    async run(work) {
      try {
        const result = await work();
        if (down) {
          down = false;
          log.info('postgres reachable again');
        }
        return result;
      } catch (err) {
        if (!isUnavailable(err)) throw err;
        if (!down) {
          down = true;
          log.error({ err }, 'postgres unreachable; answering 503 store_unavailable until it is back');
        }
        throw new AppError('store_unavailable', 'The database is not reachable right now; retry shortly');
      }
    },
  };
}

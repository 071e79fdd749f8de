import { AppError } from '../../errors.ts';

/**
 * SQLite result codes that say "not now" rather than "not this record": a full or failing disk, a lock held too
 * long, a file that cannot be opened or written, no memory, a damaged file (no record of a client's can cause
 * that), and the writer thread gone. Any other failure (a constraint, a value too big) is the records' own.
 */
const UNAVAILABLE = /^(SQLITE_(FULL|IOERR|BUSY|LOCKED|CANTOPEN|READONLY|NOMEM|PROTOCOL|NOTADB|CORRUPT|PERM|AUTH)|TALLY_WRITER_EXITED)/;

/** A failed write as the store reports it: store_unavailable when worth a retry, else the error itself. */
export function writeError(message: string, code: string | undefined): Error {
  if (code !== undefined && UNAVAILABLE.test(code)) {
    return new AppError('store_unavailable', `The SQLite file cannot be written now: ${message}`, [], { 'retry-after': '1' });
  }
  return Object.assign(new Error(message), { code });
}

/**
 * Live tail: every ~2 s, list the view's records whose id is above a cursor, newest id first. Ids are ULIDs
 * the server makes when a record arrives (`record_` + 10 characters of milliseconds + 16 random ones, each
 * process's ids strictly increasing), so an id above the cursor means "arrived since", whatever timestamp the
 * client sent, and the list seeks the (org_id, id) index to the cursor instead of counting the whole view.
 *
 * A record becomes visible when its transaction commits, a little after its id was made (the write queue,
 * concurrent commits on PostgreSQL, several servers' clocks). So the cursor trails the server's clock by
 * LAG_MS, and ids already seen are remembered rather than re-reported. A record committed later than that
 * after it arrived (an async create retried through a database outage) is not flagged: it shows at the next
 * reload of the view.
 */

const INTERVAL_MS = 2000;
const LAG_MS = 60_000;
const PAGE_SIZE = 100;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const PREFIX = 'record_';

/** The smallest record id the server could have made at server time ms. */
export function idFloor(ms) {
  let time = '';
  for (let t = Math.max(0, Math.floor(ms)), i = 0; i < 10; i++, t = Math.floor(t / 32)) time = CROCKFORD[t % 32] + time;
  return `${PREFIX}${time}${'0'.repeat(16)}`;
}

/** The server time (ms) encoded in a record id; NaN for an id of another shape. */
export function idTime(id) {
  if (typeof id !== 'string' || !id.startsWith(PREFIX)) return NaN;
  let ms = 0;
  for (const ch of id.slice(PREFIX.length, PREFIX.length + 10)) {
    const v = CROCKFORD.indexOf(ch);
    if (v < 0) return NaN;
    ms = ms * 32 + v;
  }
  return ms;
}

/** Above every record id ('~' sorts after every Crockford letter). */
const ID_CEILING = `${PREFIX}~`;

/**
 * The view's filters plus "id above floor". id and unique_id are one column under two names, so the cursor
 * takes whichever the view leaves free. With both free, the range is closed above too: without statistics on
 * values, SQLite rates a range with two bounds as narrower than one with a single bound, so it walks the
 * (org_id, id) index from the cursor rather than, say, the view's whole cost or time range.
 */
function withCursor(filters, floor) {
  const free = ['id', 'unique_id'].filter((k) => !(k in filters));
  if (free.length === 0) return filters; // both taken: poll the view as it is, still newest id first
  const cursor = { [free[0]]: { operator: 'gt', value: [floor] } };
  if (free.length === 2) cursor[free[1]] = { operator: 'lt', value: [ID_CEILING] };
  return { ...filters, ...cursor };
}

/**
 * @param {{ list: (view: any) => Promise<any>, currentView: () => any, serverNow: () => number,
 *   onNew: (records: any[]) => void, onError: (error: unknown) => void }} options
 */
export function createLiveTail({ list, currentView, serverNow, onNew, onError }) {
  let timer = null;
  let running = false;
  let loadedAt = serverNow(); // server time when the view on screen was requested
  let known = new Set(); // ids on screen or already reported, at or above the cursor
  let settled = false; // a poll has run since the view was loaded
  let generation = 0; // bumped by rebase: a poll started before it is stale

  async function poll() {
    timer = null;
    if (!running) return;
    if (!document.hidden) {
      const started = generation;
      try {
        const view = currentView();
        const now = serverNow();
        // The first poll after a load reaches back to the load itself, however long ago the tail was switched on.
        const floor = idFloor(settled ? now - LAG_MS : Math.min(loadedAt, now) - LAG_MS);
        const page = await list({ ...view, filters: withCursor(view.filters, floor), page: 1, pageSize: PAGE_SIZE, sort: '-id' });
        if (!running || started !== generation) return;
        // Before the first poll, a record not on screen is new only if it arrived after the view was requested;
        // older ones are merely off this page (another sort or page) and are learnt, not reported.
        const fresh = page.results.filter((r) => !known.has(r.id) && (settled || !(idTime(r.id) < loadedAt)));
        for (const r of page.results) known.add(r.id);
        for (const id of known) if (id < floor) known.delete(id);
        settled = true;
        if (fresh.length > 0) onNew(fresh);
      } catch (error) {
        onError(error);
      }
    }
    if (running && timer === null) timer = setTimeout(poll, INTERVAL_MS);
  }

  return {
    get running() {
      return running;
    },
    /** After every load of the view: when it was requested (server time) and the ids it shows. */
    rebase(requestedAt, shownIds) {
      loadedAt = requestedAt;
      known = new Set(shownIds);
      settled = false;
      generation++;
    },
    start() {
      if (running) return;
      running = true;
      timer = setTimeout(poll, 0);
    },
    stop() {
      running = false;
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}

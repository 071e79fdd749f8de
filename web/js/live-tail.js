/**
 * Live tail: every ~2 s, ask the list for records at or after the newest timestamp the summary has seen
 * (param_a), so each poll is an index range scan, not a count over everything. Records not seen before
 * are reported through onNew; the caller reloads the view, which moves the baseline on.
 */

const INTERVAL_MS = 2000;

const later = (a, b) => (!a ? b : !b ? a : Date.parse(a) >= Date.parse(b) ? a : b);

/**
 * @param {{ list: (view: any) => Promise<any>, currentView: () => any, onNew: (records: any[]) => void, onError: (error: unknown) => void }} options
 */
export function createLiveTail({ list, currentView, onNew, onError }) {
  let timer = null;
  let running = false;
  let baseline = null; // newest timestamp the view has shown
  let known = null; // ids at the baseline, learnt by the first poll after a reload

  async function poll() {
    timer = null;
    if (!running) return;
    if (!document.hidden) {
      try {
        const view = currentView();
        const since = later(view.since, baseline);
        const page = await list({ ...view, since: since ?? '', page: 1, pageSize: 100, sort: '-id' });
        if (!running) return;
        if (known === null) known = new Set(page.results.filter((r) => r.timestamp === baseline).map((r) => r.id));
        const fresh = page.results.filter((r) => !known.has(r.id));
        for (const r of fresh) known.add(r.id);
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
    /** After every reload: the newest timestamp in the view (the summary's last_timestamp). */
    rebase(lastTimestamp) {
      baseline = lastTimestamp;
      known = null;
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

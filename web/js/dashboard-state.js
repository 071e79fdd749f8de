/**
 * The dashboard's view in the URL (?view=dashboard&from=…&to=…&interval=…), so it can be shared and reloaded.
 * A range is either a preset relative to now (range=7d) or two instants (from, to); dates are UTC.
 */

export const PRESETS = /** @type {const} */ ({ '24h': 1, '7d': 7, '30d': 30, '90d': 90 });
export const INTERVALS = /** @type {const} */ (['hour', 'day', 'week', 'month']);
export const DEFAULT_PRESET = '30d';

const HOUR = 3600;
const DAY = 86400;
const SECONDS = { hour: HOUR, day: DAY, week: 7 * DAY, month: 30 * DAY };

/** @typedef {{ preset: string | null, from: string, to: string, interval: string | null }} DashState */

export function isDashboardView(search = location.search) {
  return new URLSearchParams(search).get('view') === 'dashboard';
}

/** @returns {DashState} */
export function readDashState(search = location.search) {
  const q = new URLSearchParams(search);
  const instant = (v) => (v && !Number.isNaN(Date.parse(v)) ? new Date(Date.parse(v)).toISOString().replace('.000Z', 'Z') : '');
  const from = instant(q.get('from'));
  const to = instant(q.get('to'));
  const custom = from !== '' && to !== '' && Date.parse(from) < Date.parse(to);
  const preset = q.get('range') ?? '';
  const interval = q.get('interval') ?? '';
  return {
    preset: custom ? null : preset in PRESETS ? preset : DEFAULT_PRESET,
    from: custom ? from : '',
    to: custom ? to : '',
    interval: INTERVALS.includes(/** @type {any} */ (interval)) ? interval : null,
  };
}

/** @param {DashState} state */
export function dashSearch(state) {
  const q = new URLSearchParams({ view: 'dashboard' });
  if (state.preset === null) {
    q.set('from', state.from);
    q.set('to', state.to);
  } else if (state.preset !== DEFAULT_PRESET) q.set('range', state.preset);
  if (state.interval) q.set('interval', state.interval);
  return `?${q}`;
}

/**
 * The range in seconds: a preset ends at the next whole hour after now (whole hours let the analytics
 * rollups answer), custom ranges are taken as given.
 * @param {DashState} state @param {number} nowMs
 * @returns {[number, number]}
 */
export function rangeOf(state, nowMs) {
  if (state.preset === null) return [Date.parse(state.from) / 1000, Date.parse(state.to) / 1000];
  const end = Math.ceil(nowMs / 1000 / HOUR) * HOUR;
  return [end - PRESETS[state.preset] * DAY, end];
}

/** The interval asked for, or one that gives a readable number of bars for the range. */
export function intervalOf(state, [from, to]) {
  if (state.interval) return state.interval;
  const span = to - from;
  return span <= 3 * DAY ? 'hour' : span <= 120 * DAY ? 'day' : 'week';
}

/** The intervals that give between 1 and 1,000 buckets over the range (the API's limit is 10,000). */
export function intervalsFor([from, to]) {
  return INTERVALS.filter((i) => (to - from) / SECONDS[i] <= 1000);
}

/**
 * Every bucket start (seconds) of the interval from the range's start to its end, in UTC calendar units as the
 * API makes them (weeks start on Monday); at most 10,000.
 * @param {string} interval @param {[number, number]} range
 */
export function bucketStarts(interval, [from, to]) {
  const d = new Date(from * 1000);
  if (interval === 'hour') d.setUTCMinutes(0, 0, 0);
  else d.setUTCHours(0, 0, 0, 0);
  if (interval === 'week') d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  if (interval === 'month') d.setUTCDate(1);
  const starts = [];
  while (d.getTime() / 1000 < to && starts.length < 10_000) {
    starts.push(d.getTime() / 1000);
    if (interval === 'hour') d.setUTCHours(d.getUTCHours() + 1);
    else if (interval === 'day') d.setUTCDate(d.getUTCDate() + 1);
    else if (interval === 'week') d.setUTCDate(d.getUTCDate() + 7);
    else d.setUTCMonth(d.getUTCMonth() + 1);
  }
  return starts;
}

/** The nominal width of a bucket in seconds (a month is drawn as 30 days). */
export const intervalSeconds = (interval) => SECONDS[interval];

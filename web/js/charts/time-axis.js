/** Time labels for charts, in UTC like the rest of the explorer. Times are in seconds (uPlot's unit). */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n) => String(n).padStart(2, '0');
const DAY = 86400;

const dayOf = (d) => `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
const clockOf = (d) => `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;

/**
 * Tick labels for the x axis: "14:00" within a day (with the date under the first tick of each day),
 * "Mar 3" for days, "Mar 2025" for months; the year under the first tick and where it changes.
 * @param {number[]} splits tick times @param {number} step the tick spacing in seconds
 */
export function timeTicks(splits, step) {
  let lastDay = '';
  let lastYear = -1;
  return splits.map((s) => {
    const d = new Date(s * 1000);
    const year = d.getUTCFullYear();
    const newYear = year !== lastYear;
    lastYear = year;
    if (step >= 28 * DAY) return `${MONTHS[d.getUTCMonth()]}${newYear ? `\n${year}` : ''}`;
    if (step >= DAY) return `${dayOf(d)}${newYear ? `\n${year}` : ''}`;
    const day = dayOf(d);
    const label = day !== lastDay ? `${clockOf(d)}\n${day}` : clockOf(d);
    lastDay = day;
    return label;
  });
}

/** "2025-03-01 09:00 UTC" (or the date alone for buckets of a day or more): a bucket's start, in full. */
export function bucketLabel(seconds, bucketSeconds) {
  const iso = new Date(seconds * 1000).toISOString();
  return bucketSeconds >= DAY ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

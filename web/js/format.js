/** Display formats. Every function takes the API's raw value and returns plain text. */

const DASH = '—';

/** "2025-01-01 10:30:00" (UTC) from an ISO timestamp. */
export function formatTime(iso) {
  if (typeof iso !== 'string') return DASH;
  return iso.replace('T', ' ').replace(/(\.\d+)?Z$/, '');
}

export function formatCost(usd) {
  if (usd === null || usd === undefined) return DASH;
  if (usd === 0) return '$0';
  const abs = Math.abs(usd);
  return `$${abs >= 1 ? usd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }) : String(Number(usd.toPrecision(3)))}`;
}

/** Short axis labels: 50k, 2M. */
export function formatCompact(n) {
  return Number(n).toLocaleString('en-US', { notation: 'compact', maximumFractionDigits: 1 });
}

export function formatSeconds(s) {
  if (s === null || s === undefined) return DASH;
  return s < 1 ? `${Math.round(s * 1000)} ms` : `${Number(s.toFixed(2))} s`;
}

export function formatInt(n) {
  if (n === null || n === undefined) return DASH;
  return Number(n).toLocaleString('en-US');
}

export function formatPercent(rate) {
  if (rate === null || rate === undefined) return DASH;
  return `${Number((rate * 100).toFixed(1))}%`;
}

/** "1 min", "5 s", "1 day" from a bucket width in seconds. */
export function formatDuration(seconds) {
  /** @type {[number, string][]} */
  const units = [
    [86400, 'day'],
    [3600, 'h'],
    [60, 'min'],
    [1, 's'],
  ];
  for (const [size, name] of units) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return name === 'day' && n !== 1 ? `${n} days` : `${n} ${name}`;
    }
  }
  return `${seconds} s`;
}

/** Pretty JSON for display (never parsed as HTML). */
export function prettyJson(value) {
  return JSON.stringify(value, null, 2);
}

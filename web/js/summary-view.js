import { el, fill } from './dom.js';
import { formatCost, formatInt, formatPercent, formatSeconds } from './format.js';

/**
 * The summary's numbers. Each value carries the API's raw number in data-value, so what is shown can be
 * checked against the API exactly.
 * @param {HTMLElement} list the <dl>
 * @param {any} summary the reply of /api/records/summary/
 */
export function renderSummary(list, summary) {
  const stat = (key, label, value, text, note) =>
    el(
      'div',
      { class: 'stat' },
      el('dt', null, label),
      el(
        'dd',
        { 'data-stat': key, 'data-value': value === null ? 'null' : String(value) },
        text,
        note ? el('span', { class: 'note' }, note) : null,
      ),
    );
  fill(
    list,
    stat('count', 'Records', summary.count, formatInt(summary.count)),
    stat(
      'total_cost',
      'Total cost',
      summary.total_cost,
      formatCost(summary.total_cost),
      summary.uncosted_count > 0 ? `${formatInt(summary.uncosted_count)} without a cost` : null,
    ),
    stat('total_tokens', 'Total tokens', summary.total_tokens, formatInt(summary.total_tokens)),
    stat('latency_p50', 'Latency p50', summary.latency_p50, formatSeconds(summary.latency_p50)),
    stat('latency_p95', 'Latency p95', summary.latency_p95, formatSeconds(summary.latency_p95)),
    stat(
      'error_rate',
      'Error rate',
      summary.error_rate,
      formatPercent(summary.error_rate),
      summary.error_count > 0 ? `${formatInt(summary.error_count)} error${summary.error_count === 1 ? '' : 's'}` : null,
    ),
  );
}

import { apiSend } from './api-send.js';
import { viewParams } from './api.js';
import { announce, el } from './dom.js';

/**
 * Export buttons beside the records' count: the current filter and start time (not the page or sort: an export is
 * every matching record, oldest first) as JSONL or CSV, saved as the file the server names. The browser holds the
 * file until it is saved; for millions of records, curl the same URL (docs/lifecycle.md).
 * @param {{ into: HTMLElement, currentView: () => any, onError: (error: unknown) => void }} options
 */
export function mountExportButton({ into, currentView, onError }) {
  const status = el('span', { class: 'muted', 'aria-live': 'polite' });
  const button = (format, label) =>
    el('button', { type: 'button', class: 'secondary small', 'data-export': format, on: { click: () => void run(format) } }, label);
  const buttons = [button('jsonl', 'Export JSONL'), button('csv', 'Export CSV')];
  into.append(el('span', { class: 'export-actions', role: 'group', 'aria-label': 'Export the matching records' }, ...buttons, status));

  async function run(format) {
    for (const b of buttons) b.disabled = true;
    status.textContent = 'Exporting…';
    try {
      const query = new URLSearchParams({ format });
      for (const [name, value] of Object.entries(viewParams(currentView()))) if (value) query.set(name, value);
      const res = await apiSend('GET', `/api/records/export/?${query}`);
      const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `tally-records.${format}`;
      const url = URL.createObjectURL(await res.blob());
      const link = el('a', { hidden: true });
      link.href = url; // a blob: URL made here, never a URL from a record
      link.download = name;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      status.textContent = `Saved ${name}`;
      announce(`Export saved as ${name}`);
    } catch (error) {
      status.textContent = '';
      onError(error);
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  }
}

import { el } from './dom.js';
import { readView, viewSearch } from './view-state.js';

/**
 * Links to other views of the explorer (a thread, a trace, a customer): real links, so they open in a new tab and
 * can be copied, whose plain click moves this page to the view. Their href is only ever this page's own query
 * string, built by viewSearch from the view (the record's value is URL-encoded in it), never a URL from a record.
 */

/** @param {import('./view-state.js').View} view @param {string} text @param {(view: any) => void} go @param {string} [title] */
export function viewLink(view, text, go, title) {
  const link = el('a', { class: 'view-link', title: title ?? null }, text);
  link.setAttribute('href', viewSearch(view) || '?');
  link.addEventListener('click', (event) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    go(view);
  });
  return link;
}

/** The view of every record whose field equals value (the table filtered to one thread, trace or customer). */
export function filteredView(field, value) {
  return { ...readView(), since: '', filters: { [field]: { operator: '', value: [value] } }, page: 1, record: null, thread: null };
}

/** The thread view: the table filtered to the thread, and the thread read as one conversation in the panel. */
export function threadView(threadId) {
  return { ...filteredView('field_11', threadId), sort: 'timestamp', thread: threadId };
}

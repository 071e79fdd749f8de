import { el } from './dom.js';
import { prettyJson } from './format.js';

/** Copies text, falling back to a selection when the Clipboard API is not available (plain http). */
async function copyText(text, pre) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return 'Copied';
  }
  const range = document.createRange();
  range.selectNodeContents(pre);
  const selection = getSelection();
  selection?.removeAllRanges();
  selection?.addRange(range);
  return document.execCommand('copy') ? 'Copied' : 'Selected: press Ctrl+C to copy';
}

/** The record as raw JSON, with a copy button. */
export function rawJsonView(record) {
  const text = prettyJson(record);
  const pre = el('pre', { class: 'raw', id: 'raw-json', tabindex: '0', 'aria-label': 'Raw JSON of the record' }, text);
  const status = el('span', { class: 'muted', role: 'status' });
  const button = el('button', { type: 'button', class: 'secondary small', id: 'copy-json' }, 'Copy JSON');
  button.addEventListener('click', async () => {
    try {
      status.textContent = await copyText(text, pre);
    } catch {
      status.textContent = 'Copy failed: select the text and copy it';
    }
  });
  return el('details', { class: 'raw-json' }, el('summary', null, 'Raw JSON'), el('div', { class: 'raw-actions' }, button, status), pre);
}

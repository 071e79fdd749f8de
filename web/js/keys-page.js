import { apiSend } from './api-send.js';
import { apiGet, ApiError } from './api.js';
import { el, fill } from './dom.js';
import { formatTime } from './format.js';

const SCOPES = [
  ['read', 'read: explore and export records'],
  ['ingest', 'ingest: send records only'],
  ['admin', 'admin: everything, erasure and keys'],
];

/**
 * The keys page, for admin keys only (docs/keys.md's API): create a key with a scope and a name (its secret shown
 * once), list the org's keys, revoke one. Whether the key is admin is asked of GET /api/keys/ itself: a 403 leaves the
 * page out. Shown instead of the explorer by a "Keys" button in the header.
 * @param {{ header: HTMLElement, main: HTMLElement, explorer: HTMLElement }} options
 */
export async function mountKeysPage({ header, main, explorer }) {
  let keys;
  try {
    keys = (await apiGet('/api/keys/')).results;
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) return; // a read key: no keys page
    throw error;
  }
  const rows = el('tbody');
  const message = el('p', { class: 'error-text', role: 'alert' });
  const secret = el('div', { class: 'new-key', hidden: true });
  const name = el('input', { id: 'key-name', type: 'text', spellcheck: 'false', autocomplete: 'off' });
  const scope = el('select', { id: 'key-scope' }, ...SCOPES.map(([value, label]) => el('option', { value }, label)));
  const form = el(
    'form',
    { class: 'key-form', on: { submit: (event) => void create(event) } },
    el('label', { for: 'key-name' }, 'Name'),
    name,
    el('label', { for: 'key-scope' }, 'Scope'),
    scope,
    el('button', { type: 'submit' }, 'Create key'),
  );
  const page = el(
    'section',
    { id: 'keys-page', class: 'card', 'aria-labelledby': 'keys-title', hidden: true },
    el('h1', { id: 'keys-title', tabindex: '-1' }, 'API keys'),
    el('p', { class: 'hint' }, "This org's keys. A key's secret is shown once, when it is made; a revoked key is refused within seconds."),
    form,
    message,
    secret,
    el(
      'div',
      { class: 'table-wrap' },
      el(
        'table',
        { id: 'keys-table', 'aria-labelledby': 'keys-title' },
        el(
          'thead',
          null,
          el('tr', null, ...['Name', 'Scope', 'Id', 'Created', 'Last used', 'Revoked', ''].map((h) => el('th', { scope: 'col' }, h))),
        ),
        rows,
      ),
    ),
  );
  main.append(page);
  const toggle = el(
    'button',
    { type: 'button', id: 'keys-toggle', class: 'secondary', 'aria-pressed': 'false', on: { click: () => show(page.hidden) } },
    'Keys',
  );
  header.prepend(toggle);

  function show(open) {
    page.hidden = !open;
    explorer.hidden = open;
    toggle.setAttribute('aria-pressed', String(open));
    toggle.textContent = open ? 'Records' : 'Keys';
    if (open) /** @type {HTMLElement} */ (page.querySelector('#keys-title')).focus();
  }

  function render() {
    fill(
      rows,
      ...keys.map((key) =>
        el(
          'tr',
          { 'data-key-id': key.id, class: key.revoked ? 'revoked' : null },
          el('td', null, key.name ?? '—'),
          el('td', null, key.scope),
          el('td', null, el('code', null, key.id)),
          el('td', null, formatTime(key.created)),
          el('td', null, key.last_used ? formatTime(key.last_used) : 'never'),
          el('td', null, key.revoked ? formatTime(key.revoked) : '—'),
          el(
            'td',
            null,
            key.revoked
              ? ''
              : el(
                  'button',
                  {
                    type: 'button',
                    class: 'secondary small',
                    'aria-label': `Revoke ${key.name ?? key.id}`,
                    on: { click: () => void revoke(key) },
                  },
                  'Revoke',
                ),
          ),
        ),
      ),
    );
  }

  async function reload() {
    keys = (await apiGet('/api/keys/')).results;
    render();
  }

  async function create(event) {
    event.preventDefault();
    message.textContent = '';
    try {
      const res = await apiSend('POST', '/api/keys/', { scope: scope.value, name: name.value.trim() });
      const made = await res.json();
      fill(
        secret,
        el('p', null, `Key "${made.name}" (${made.scope}) created. Copy its secret now: it is not shown again.`),
        el('code', { class: 'secret', id: 'new-key-secret' }, made.key),
      );
      secret.hidden = false;
      name.value = '';
      await reload();
    } catch (error) {
      message.textContent = error instanceof Error ? error.message : String(error);
    }
  }

  async function revoke(key) {
    message.textContent = '';
    try {
      await apiSend('DELETE', `/api/keys/${encodeURIComponent(key.id)}/`);
      await reload();
    } catch (error) {
      message.textContent = error instanceof Error ? error.message : String(error);
    }
  }

  render();
}

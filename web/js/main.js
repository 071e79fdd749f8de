import { api, ApiError, serverNow } from './api.js';
import { renderChart } from './chart.js';
import { makeCollapsible } from './collapsible.js';
import { costSortViews } from './cost-sort.js';
import { createDashboard } from './dashboard.js';
import { createDetailPanel } from './detail-panel.js';
import { announce, byId, fill } from './dom.js';
import { mountExportButton } from './export-button.js';
import { createFilterBuilder, FilterInputError } from './filter-builder.js';
import { describeFilters } from './filter-words.js';
import { mountKeysPage } from './keys-page.js';
import { formatDuration, formatInt } from './format.js';
import { fieldLabel, useCatalogue } from './labels.js';
import { createLiveTail } from './live-tail.js';
import { createRecordsTable } from './records-table.js';
import { session } from './session.js';
import { renderSummary } from './summary-view.js';
import { threadSection } from './thread-view.js';
import { traceSection } from './trace-waterfall.js';
import { filteredView, threadView, viewLink } from './view-links.js';
import { DEFAULT_SORT, readView, writeView } from './view-state.js';
import { createViewTabs } from './view-tabs.js';

/** Boot: sign in (or reuse this tab's key), then run the explorer on the view in the URL. */

/** The panel's openId while it shows a thread: this prefix and the thread id (record ids start with record_). */
const THREAD_KEY = 'thread:';

function showSignIn(message = '') {
  byId('explorer').hidden = true;
  byId('session-actions').hidden = true;
  byId('signin').hidden = false;
  byId('signin-error').textContent = message;
  byId('api-key').focus();
}

/** Why a key could not open the explorer: unknown or revoked (401), or a key that may only send records (403). */
function signInProblem(error, refused, failed) {
  if (error instanceof ApiError && error.status === 401) return refused;
  if (error instanceof ApiError && error.status === 403)
    return 'This key can only send records (ingest scope). Sign in with a read or admin key to explore them.';
  return `${failed}: ${error.message}`;
}

async function boot() {
  const form = byId('signin-form');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = /** @type {HTMLInputElement} */ (byId('api-key'));
    const key = input.value.trim();
    if (key === '') return showSignIn('Enter an API key.');
    try {
      const catalogue = await api.meta(key);
      session.signIn(key);
      input.value = '';
      startExplorer(catalogue);
    } catch (error) {
      showSignIn(signInProblem(error, 'That key was not accepted.', 'Could not sign in'));
    }
  });
  const key = session.key();
  if (!key) return showSignIn();
  try {
    startExplorer(await api.meta(key));
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) session.signOut();
    showSignIn(signInProblem(error, 'Your key is no longer accepted; sign in again.', 'Could not load'));
  }
}

function startExplorer(catalogue) {
  byId('signin').hidden = true;
  byId('explorer').hidden = false;
  byId('session-actions').hidden = false;

  const errorBanner = byId('error');
  const showError = (message) => {
    errorBanner.textContent = message;
    errorBanner.hidden = false;
  };
  const fail = (error) => {
    if (error instanceof DOMException && error.name === 'AbortError') return;
    if (error instanceof ApiError && error.status === 401) {
      session.signOut();
      location.reload();
      return;
    }
    showError(error instanceof Error ? error.message : String(error));
  };

  useCatalogue(catalogue);
  const filtersCard = makeCollapsible({
    name: 'filters',
    card: byId('filters'),
    button: /** @type {HTMLButtonElement} */ (byId('toggle-filters')),
    what: 'filters',
  });
  makeCollapsible({
    name: 'summary',
    card: byId('summary'),
    button: /** @type {HTMLButtonElement} */ (byId('toggle-summary')),
    what: 'summary',
  });
  const builder = createFilterBuilder({ catalogue, list: byId('filter-rows') });
  const sinceInput = /** @type {HTMLInputElement} */ (byId('since'));
  const pageSize = /** @type {HTMLSelectElement} */ (byId('page-size'));
  let records = [];

  const table = createRecordsTable({
    catalogue,
    header: byId('header-row'),
    body: byId('rows'),
    onSort: (sort) => go({ sort, page: 1 }),
    onOpen: (record) => openRecord(record.id),
  });

  const detail = createDetailPanel({
    panel: byId('detail'),
    title: byId('detail-title'),
    body: byId('detail-body'),
    closeButton: byId('close-detail'),
    onClose: (id) => {
      if (id.startsWith(THREAD_KEY)) {
        writeView({ ...readView(), thread: null }, { push: false });
        byId('records-title').focus();
        return;
      }
      writeView({ ...readView(), record: null }, { push: false });
      table.markOpen(null);
      if (!table.focus(id)) byId('records-title').focus();
    },
    links: {
      filter: (field, value) =>
        viewLink(filteredView(field, value), value, navigate, `Show every record with this ${fieldLabel(field).toLowerCase()} (${field})`),
      thread: (id) => viewLink(threadView(id), 'read the thread', navigate, `Every record of thread ${id} in order, as one conversation`),
    },
    trace: (record, signal, { fromTrace = false } = {}) =>
      traceSection(record, {
        list: (traceId, limit, listSignal) => api.trace(traceId, limit, listSignal),
        onOpen: (other) => openRecord(other.id, other, { fromTrace: true }),
        signal,
        focusCurrent: fromTrace,
      }),
  });

  const tail = createLiveTail({
    list: (view) => api.list(view),
    currentView: readView,
    serverNow,
    onNew: (fresh) => {
      announce(`${fresh.length} new record${fresh.length === 1 ? '' : 's'}`);
      void refresh(new Set(fresh.map((r) => r.id)));
    },
    onError: fail,
  });

  /** Shows a thread (field_11) in the panel as one conversation. */
  function showThread(threadId) {
    table.markOpen(null);
    detail.showOther(`${THREAD_KEY}${threadId}`, `Thread ${threadId}`, (signal) => [
      threadSection(threadId, {
        list: (id, limit, listSignal) => api.thread(id, limit, listSignal),
        onOpen: (record) => {
          writeView({ ...readView(), thread: null, record: record.id }); // Back returns to the thread
          void openRecord(record.id, record);
        },
        signal,
      }),
    ]);
  }

  /** Opens a record in the panel: the one given (from the page or a trace), else fetched by id. */
  async function openRecord(id, known = records.find((r) => r.id === id), options = {}) {
    writeView({ ...readView(), record: id }, { push: false });
    table.markOpen(id);
    if (known) return detail.show(known, options);
    detail.loading(id);
    try {
      detail.show(await api.record(id));
    } catch (error) {
      detail.failed(id, error instanceof Error ? error.message : String(error));
    }
  }

  /** Shows the view's inputs (after a load or Back/Forward). */
  function showView(view) {
    builder.show(view.filters);
    sinceInput.value = view.since;
    byId('filters-line').textContent = describeFilters(view);
    const size = String(view.pageSize);
    if (![...pageSize.options].some((o) => o.value === size)) pageSize.append(new Option(size, size));
    pageSize.value = size;
  }

  // The dashboard tab (dashboard.js): while the URL says ?view=dashboard, refresh() hands over to it.
  const dashboard = createDashboard({
    root: byId('dashboard-root'),
    serverNow,
    onOpenRecords: ({ since, filters, sort }) => {
      go({ since, filters, sort: sort ?? DEFAULT_SORT, page: 1, record: null });
      showView(readView());
    },
  });
  const tabs = createViewTabs({
    dashboard,
    onSwitch: () => {
      showView(readView());
      void refresh();
    },
  });

  let listRequest = null;
  /** Loads one page of the view in the URL, then its summary (which never holds the table up). */
  async function refresh(fresh = new Set()) {
    if (tabs.show()) return; // the dashboard tab loads its own data
    const view = readView();
    listRequest?.abort();
    const controller = new AbortController();
    listRequest = controller;
    byId('records').setAttribute('aria-busy', 'true');
    const requestedAt = serverNow();
    const { listView, unpricedView } = costSortViews(view, catalogue.sort_options);
    void showUnpriced(unpricedView, controller.signal);
    try {
      const page = await api.list(listView, controller.signal);
      errorBanner.hidden = true;
      records = page.results;
      table.render(records, view.sort, { fresh, openId: detail.openId });
      tail.rebase(
        requestedAt,
        records.map((r) => r.id),
      );
      const pages = Math.max(1, Math.ceil(page.count / view.pageSize));
      byId('record-count').textContent = `${formatInt(page.count)} matching${unpricedView ? ' with a price' : ''}`;
      byId('page-info').textContent = `Page ${view.page} of ${formatInt(pages)}`;
      /** @type {HTMLButtonElement} */ (byId('prev-page')).disabled = view.page <= 1;
      /** @type {HTMLButtonElement} */ (byId('next-page')).disabled = page.next === null;
    } catch (error) {
      fail(error);
    } finally {
      if (listRequest === controller) byId('records').setAttribute('aria-busy', 'false');
    }
    // After the page: on one SQLite process the summary's scans would otherwise hold the table up.
    if (listRequest === controller) void loadSummary(view, fresh.size > 0);
    if (view.thread) {
      if (detail.openId !== `${THREAD_KEY}${view.thread}`) showThread(view.thread);
    } else if (view.record && detail.openId !== view.record) void openRecord(view.record);
  }

  /** Sorted by cost, most expensive first: the unpriced calls are set aside; a note counts them and links to them. */
  async function showUnpriced(unpricedView, signal) {
    const note = byId('unpriced-note');
    if (!unpricedView) {
      note.hidden = true;
      return;
    }
    try {
      const { count } = await api.list({ ...unpricedView, pageSize: 1 }, signal);
      if (signal.aborted) return;
      note.hidden = count === 0;
      const calls = `${formatInt(count)} call${count === 1 ? ' has' : 's have'} no price`;
      fill(note, `${calls}, so they are set aside from this sort: `, viewLink(unpricedView, 'show them', navigate));
    } catch (error) {
      fail(error);
    }
  }

  /** Moves to a view given whole (a link's): it closes the panel unless the view opens something in it. */
  function navigate(view) {
    writeView(view);
    showView(view);
    if (!view.record && !view.thread) detail.close();
    void refresh();
  }

  /**
   * The summary depends only on param_a and the filters: paging and sorting reuse it. A new view cancels
   * the old request; new records (live tail) never cancel one, they ask for one more run after it, so a
   * slow summary over millions of records is never restarted over and over.
   */
  const summaryState = { key: null, controller: null, again: false };
  async function loadSummary(view, newRecords) {
    const key = JSON.stringify([view.since, view.filters]);
    if (key === summaryState.key && !newRecords) return;
    if (key === summaryState.key && summaryState.controller) {
      summaryState.again = true;
      return;
    }
    summaryState.controller?.abort();
    summaryState.key = key;
    const controller = new AbortController();
    summaryState.controller = controller;
    byId('summary').setAttribute('aria-busy', 'true');
    try {
      const summary = await api.summary(view, controller.signal);
      renderSummary(byId('summary-stats'), summary);
      renderChart(byId('chart'), summary.buckets, summary.bucket_seconds);
      byId('bucket-width').textContent = summary.bucket_seconds ? formatDuration(summary.bucket_seconds) : 'bucket';
    } catch (error) {
      if (summaryState.key === key) summaryState.key = null; // failed: the next refresh tries again
      fail(error);
    } finally {
      if (summaryState.controller === controller) {
        summaryState.controller = null;
        byId('summary').setAttribute('aria-busy', 'false');
        if (summaryState.again) {
          summaryState.again = false;
          void loadSummary(readView(), true);
        }
      }
    }
  }

  /** Moves to a new view: it goes into the URL (so Back works and it can be shared), then loads. */
  function go(changes) {
    writeView({ ...readView(), ...changes });
    byId('filters-line').textContent = describeFilters(readView());
    void refresh();
  }

  byId('filter-form').addEventListener('submit', (event) => {
    event.preventDefault();
    try {
      go({ filters: builder.read(), since: sinceInput.value.trim(), page: 1, record: null });
    } catch (error) {
      if (!(error instanceof FilterInputError)) throw error;
      filtersCard.expand();
      showError(error.message);
      error.control.focus();
    }
  });
  byId('add-filter').addEventListener('click', () => builder.add());
  byId('clear-filters').addEventListener('click', () => {
    builder.show({});
    sinceInput.value = '';
    go({ filters: {}, since: '', page: 1 });
  });
  for (const button of document.querySelectorAll('[data-since-hours]')) {
    button.addEventListener('click', () => {
      const hours = Number(button.getAttribute('data-since-hours'));
      sinceInput.value = new Date(Date.now() - hours * 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
      /** @type {HTMLFormElement} */ (byId('filter-form')).requestSubmit();
    });
  }
  byId('prev-page').addEventListener('click', () => go({ page: Math.max(1, readView().page - 1) }));
  byId('next-page').addEventListener('click', () => go({ page: readView().page + 1 }));
  pageSize.addEventListener('change', () => go({ pageSize: Number(pageSize.value), page: 1 }));
  byId('tail').addEventListener('change', (event) => {
    if (/** @type {HTMLInputElement} */ (event.target).checked) tail.start();
    else tail.stop();
  });
  byId('sign-out').addEventListener('click', () => {
    tail.stop();
    session.signOut();
    location.reload(); // forgets every record on screen along with the key
  });
  window.addEventListener('popstate', () => {
    const view = readView();
    showView(view);
    if (!view.record && !view.thread) detail.close();
    void refresh();
  });

  mountExportButton({ into: /** @type {HTMLElement} */ (document.querySelector('.records-head')), currentView: readView, onError: fail });
  void mountKeysPage({ header: byId('session-actions'), main: byId('main'), explorer: byId('explorer') }).catch(fail);

  showView(readView());
  void refresh();
}

void boot();

import { isDashboardView } from './dashboard-state.js';
import { byId } from './dom.js';

/**
 * The explorer's two tabs, Records and Dashboard (links with data-tab in index.html): the URL says which one
 * shows (?view=dashboard). Each tab keeps its last URL, so switching back returns to the same view.
 * @param {{ dashboard: { show(): void, hide(): void }, onSwitch: () => void }} deps onSwitch loads the view in the URL
 */
export function createViewTabs({ dashboard, onSwitch }) {
  const last = { records: isDashboardView() ? '' : location.search, dashboard: isDashboardView() ? location.search : '?view=dashboard' };

  /** Shows the tab the URL names; true on the dashboard (the records view then has nothing to load). */
  function show() {
    const tab = isDashboardView() ? 'dashboard' : 'records';
    last[tab] = location.search;
    byId('explorer').setAttribute('data-view', tab);
    for (const link of document.querySelectorAll('[data-tab]')) {
      if (link.getAttribute('data-tab') === tab) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    if (tab === 'dashboard') dashboard.show();
    else dashboard.hide();
    return tab === 'dashboard';
  }

  for (const link of document.querySelectorAll('[data-tab]')) {
    link.addEventListener('click', (event) => {
      event.preventDefault();
      if (link.getAttribute('aria-current') === 'page') return;
      history.pushState(null, '', `${location.pathname}${last[link.getAttribute('data-tab') === 'dashboard' ? 'dashboard' : 'records']}`);
      onSwitch();
    });
  }
  return { show };
}

/**
 * Cards that fold to their heading line (the filters, the summary), so the records table fits above the fold on a
 * laptop screen. Until a card is folded or unfolded by hand, a screen shorter than FOLD_BELOW_HEIGHT starts with it
 * folded (at 1440×900 the table then shows about 15 rows instead of 5); the choice is remembered in this browser
 * (localStorage), per card. A folded card keeps its class "collapsed"; styles.css says what stays visible.
 */

const STORAGE_KEY = 'tally.explorer.collapsed';
const FOLD_BELOW_HEIGHT = 1000;

function stored() {
  try {
    const value = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}');
    return value && typeof value === 'object' && !Array.isArray(value) ? value : {};
  } catch {
    return {}; // storage unavailable or edited by hand: everything unfolded
  }
}

function remember(name, collapsed) {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ ...stored(), [name]: collapsed }));
  } catch {
    /* private mode without storage: the choice lasts for this page only */
  }
}

/**
 * @param {{ name: string, card: HTMLElement, button: HTMLButtonElement, what: string }} options
 *   what: the card's name in the button's label ("filters")
 */
export function makeCollapsible({ name, card, button, what }) {
  const apply = (collapsed) => {
    card.classList.toggle('collapsed', collapsed);
    button.setAttribute('aria-expanded', String(!collapsed));
    button.textContent = collapsed ? `Show ${what}` : `Hide ${what}`;
  };
  const choice = stored()[name];
  apply(typeof choice === 'boolean' ? choice : window.innerHeight < FOLD_BELOW_HEIGHT);
  button.addEventListener('click', () => {
    const collapsed = !card.classList.contains('collapsed');
    apply(collapsed);
    remember(name, collapsed);
  });
  return {
    /** Unfolds the card (e.g. to edit a filter), without changing the remembered choice. */
    expand: () => apply(false),
    get collapsed() {
      return card.classList.contains('collapsed');
    },
  };
}

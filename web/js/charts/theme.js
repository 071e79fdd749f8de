/**
 * Chart colours. Canvas charts cannot use CSS variables, so they are read from the page's variables (light or
 * dark by prefers-color-scheme, styles.css, where the categorical --series-N colours are defined too) when a
 * chart is drawn, and charts are redrawn when the scheme changes. HTML beside a chart (a table's swatches)
 * uses the same variables through classes, so it follows the scheme by itself.
 */

const DARK_QUERY = '(prefers-color-scheme: dark)';

/** How many categorical colours styles.css defines (--series-0 … --series-6, and --series-other). */
export const PALETTE_SIZE = 7;

/** @typedef {{ dark: boolean, text: string, muted: string, grid: string, accent: string, warn: string, error: string, ok: string, card: string, palette: string[], other: string }} ChartTheme */

/** @returns {ChartTheme} */
export function chartTheme() {
  const css = getComputedStyle(document.documentElement);
  const v = (name) => css.getPropertyValue(name).trim();
  const dark = matchMedia(DARK_QUERY).matches;
  return {
    dark,
    text: v('--text'),
    muted: v('--muted'),
    grid: v('--line'),
    accent: v('--accent'),
    warn: v('--warn'),
    error: v('--error'),
    ok: v('--ok'),
    card: v('--card'),
    palette: Array.from({ length: PALETTE_SIZE }, (_, i) => v(`--series-${i}`)),
    other: v('--series-other'),
  };
}

/** Calls fn whenever the colour scheme changes (the system's, or one emulated by a test). */
export function onThemeChange(fn) {
  matchMedia(DARK_QUERY).addEventListener('change', () => fn());
}

const rgb = (hex) => {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  return m ? m.slice(1).map((h) => parseInt(h, 16)) : null;
};

/**
 * An opaque fill: the colour mixed with the card's background (share of the colour: amount). Stacked bars
 * overlap (each is drawn from zero), so a translucent fill would blend with the series under it.
 */
export function fillOf(hex, theme, amount = 0.78) {
  const c = rgb(hex);
  const bg = rgb(theme.card) ?? [255, 255, 255];
  if (!c) return hex;
  return `rgb(${c.map((v, i) => Math.round(v * amount + bg[i] * (1 - amount))).join(', ')})`;
}

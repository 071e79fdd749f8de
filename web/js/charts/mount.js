import { el } from '../dom.js';
import { chartTheme, onThemeChange } from './theme.js';
import { uPlot } from './uplot.js';

/**
 * The life of one uPlot chart in a container, shared by every chart: draw() asks make() for what to show in the
 * current colours and width (nothing, a line of text, or uPlot's options and data); the chart is drawn again when the
 * colour scheme changes and resized with its container; a click hands the bucket under the pointer to onClick.
 *
 * @param {HTMLElement} container
 * @param {{ minWidth: number, fallbackWidth: number }} size
 * @param {(theme: import('./theme.js').ChartTheme, width: number) => null | { empty: string } | { options: any, data: any[] }} make
 * @param {(plot: any, index: number) => void} onClick
 */
export function mountPlot(container, { minWidth, fallbackWidth }, make, onClick) {
  /** @type {any} */
  let plot = null;
  const width = () => Math.max(minWidth, Math.floor(container.clientWidth || fallbackWidth));

  function draw() {
    plot?.destroy();
    plot = null;
    container.replaceChildren();
    const made = make(chartTheme(), width());
    if (made === null) return;
    if ('empty' in made) {
      container.append(el('p', { class: 'empty' }, made.empty));
      return;
    }
    plot = new uPlot(made.options, made.data, container);
    /** @type {any} */ (container).uplot = plot; // lets a test point at a bucket (valToPos) as a user would
    plot.over.addEventListener('click', () => {
      const index = plot?.cursor.idx;
      if (index !== null && index !== undefined) onClick(plot, index);
    });
  }
  onThemeChange(draw);
  new ResizeObserver(() => {
    if (plot && Math.abs(plot.width - width()) > 2) plot.setSize({ width: width(), height: plot.height });
  }).observe(container);

  return {
    draw,
    get plot() {
      return plot;
    },
  };
}

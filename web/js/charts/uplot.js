// @ts-expect-error: Tally serves the uplot npm package's ES module here (src/http/web-vendor.ts); types from node_modules
import uPlotModule from '/vendor/uplot.esm.js';

/** uPlot (MIT, github.com/leeoniya/uPlot): a small, fast canvas chart library, the explorer's only charting code. */
export const uPlot = /** @type {typeof import('uplot')} */ (uPlotModule);

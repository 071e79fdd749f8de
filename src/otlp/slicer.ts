import { setImmediate as yieldToLoop } from 'node:timers/promises';

/**
 * Spans (or log records) a request reads, maps, validates and hands to the write queue before it lets the event loop
 * serve others: at 30-60 µs a span, 1-2 ms of work (docs/otlp.md). A count rather than a clock, so that the bound
 * holds whatever the machine's speed and a test can check it.
 */
export const SLICE_ITEMS = 32;

/**
 * A request's work cut in slices of at most SLICE_ITEMS items, the event loop served between two (setImmediate).
 * onSlice hears, at the end of each slice (before the event loop runs others, and after the last item), how many
 * items it read: 0 for a slice that was a step of its own (a JSON body's parse, decode.ts jsonRequest).
 */
export function slicer(onSlice?: (items: number) => void): { item(): Promise<void>; end(): Promise<void>; done(): void } {
  let items = 0;
  const done = () => {
    onSlice?.(items);
    items = 0;
  };
  const end = async () => {
    done();
    await yieldToLoop();
  };
  return {
    /** Before each item: ends the slice first when it is full. */
    async item() {
      if (items === SLICE_ITEMS) await end();
      items++;
    },
    /** Ends a slice and lets the event loop serve others. */
    end,
    /** Ends the last slice (what follows waits on the store). */
    done,
  };
}

/** A "nice" axis maximum at or above n: 1, 2 or 5 times a power of ten (1 for nothing to show). */
export function niceMax(n) {
  if (!(n > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  return [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map((m) => m * p).find((m) => m >= n * 1.04) ?? 10 * p;
}

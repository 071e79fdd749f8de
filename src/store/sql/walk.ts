/**
 * The page walk both stores try for id-sorted filtered lists: the org's records read in id order up to a bound,
 * each tested against the filters, stopping once the page is full. A full page is exact, since any match past
 * the bound sorts after every match before it; a short one falls back to the planner's page.
 */

/** The most records a page walk looks at. */
const WALK_MAX = 10_000;

/**
 * How many records the page walk may look at before the store falls back to the planner's page, or null when
 * it should not try. `rows` is offset + the rows wanted. With the count known, walk only when the matches are
 * dense enough that a uniform spread would fill the page within WALK_MAX records (sparse matches are better
 * found through an index); without it, only shallow pages try, bounded at 20 records per row wanted.
 */
export function walkBound(rows: number, count: number | null, orgTotal: number): number | null {
  if (count === null) return rows * 20 <= WALK_MAX ? rows * 20 : null;
  if (count === 0) return null;
  const expected = (rows * orgTotal) / count;
  return expected <= WALK_MAX ? Math.min(WALK_MAX, Math.max(2000, Math.ceil(4 * expected))) : null;
}

/**
 * `items` cut into consecutive parts of at most `size` (> 0), in order; `[]` for no items.
 * D1 binds at most 100 parameters per statement (Cloudflare D1 limits), so long IN (...) lists
 * are run a part at a time.
 */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!(size > 0)) throw new RangeError(`chunk size must be positive, got ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

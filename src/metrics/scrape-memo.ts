/**
 * Memoizes a read for `ms`: every gauge of one scrape (they are collected
 * in one pass) sees the same reading, taken once, so they agree with each
 * other and the reading costs one status() per group per scrape.
 */
export function scrapeMemo<T>(read: () => T, ms = 20): () => T {
  let at = -Infinity;
  let value: T | undefined;
  return () => {
    const now = performance.now();
    if (value === undefined || now - at > ms) {
      value = read();
      at = now;
    }
    return value;
  };
}

/**
 * A bounded memo for pure per-URL work (parsing, normalising, policy matching) that readers repeat
 * for every chunk request although a selection's chunks mostly share one or a few URLs.
 * @module
 */

/** Entries kept at most; when full the memo starts over (URLs of one read repeat, so a miss is rare). */
const MEMO_LIMIT = 1024;

/**
 * Wraps the pure function `compute` of a string with a memo of at most {@link MEMO_LIMIT} entries.
 * Only results are kept: an input that throws throws again, with a fresh error, each time.
 */
export function memoizeString<T>(compute: (key: string) => T): (key: string) => T {
  const memo = new Map<string, T>();
  return (key: string): T => {
    const hit = memo.get(key);
    if (hit !== undefined || memo.has(key)) return hit as T;
    const value = compute(key);
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(key, value);
    return value;
  };
}

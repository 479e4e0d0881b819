/**
 * The heatmap's colour scale: viridis sampled at 9 stops, interpolated linearly in RGB. Shared by
 * the page and its tests (which compute the colour a value must get).
 * @module
 */

/** Viridis at 0, 1/8, ..., 1 (matplotlib's values, rounded to bytes). */
export const VIRIDIS_STOPS: readonly (readonly [number, number, number])[] = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

/** RGBA of `value` on the scale from `min` to `max`; NaN (a missing value) is fully transparent. */
export function colorFor(value: number, min: number, max: number): [number, number, number, number] {
  if (Number.isNaN(value)) return [0, 0, 0, 0];
  const span = max - min;
  const t = span > 0 && Number.isFinite(span) ? Math.min(1, Math.max(0, (value - min) / span)) : 0.5;
  const position = t * (VIRIDIS_STOPS.length - 1);
  const low = Math.min(VIRIDIS_STOPS.length - 2, Math.floor(position));
  const f = position - low;
  const a = VIRIDIS_STOPS[low]!;
  const b = VIRIDIS_STOPS[low + 1]!;
  return [
    Math.round(a[0] + (b[0] - a[0]) * f),
    Math.round(a[1] + (b[1] - a[1]) * f),
    Math.round(a[2] + (b[2] - a[2]) * f),
    255,
  ];
}

/** Smallest and largest finite value (NaN, NaN when there is none). */
export function finiteRange(values: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? { min, max } : { min: NaN, max: NaN };
}

/**
 * GeoTIFF metadata: GeoKeys, CRS (EPSG code), the affine geotransform and pixel-centre
 * coordinates, GDAL_METADATA and GDAL_NODATA.
 * @module
 */

/** GeoKey ids → names (GeoTIFF 1.1, OGC 19-008r4, and the names GDAL/tifffile use). */
const GEO_KEY_NAMES: Record<number, string> = {
  1024: "GTModelTypeGeoKey",
  1025: "GTRasterTypeGeoKey",
  1026: "GTCitationGeoKey",
  2048: "GeographicTypeGeoKey",
  2049: "GeogCitationGeoKey",
  2050: "GeogGeodeticDatumGeoKey",
  2051: "GeogPrimeMeridianGeoKey",
  2052: "GeogLinearUnitsGeoKey",
  2053: "GeogLinearUnitSizeGeoKey",
  2054: "GeogAngularUnitsGeoKey",
  2055: "GeogAngularUnitSizeGeoKey",
  2056: "GeogEllipsoidGeoKey",
  2057: "GeogSemiMajorAxisGeoKey",
  2058: "GeogSemiMinorAxisGeoKey",
  2059: "GeogInvFlatteningGeoKey",
  2060: "GeogAzimuthUnitsGeoKey",
  2061: "GeogPrimeMeridianLongGeoKey",
  2062: "GeogTOWGS84GeoKey",
  3072: "ProjectedCSTypeGeoKey",
  3073: "PCSCitationGeoKey",
  3074: "ProjectionGeoKey",
  3075: "ProjCoordTransGeoKey",
  3076: "ProjLinearUnitsGeoKey",
  3077: "ProjLinearUnitSizeGeoKey",
  3078: "ProjStdParallel1GeoKey",
  3079: "ProjStdParallel2GeoKey",
  3080: "ProjNatOriginLongGeoKey",
  3081: "ProjNatOriginLatGeoKey",
  3082: "ProjFalseEastingGeoKey",
  3083: "ProjFalseNorthingGeoKey",
  3084: "ProjFalseOriginLongGeoKey",
  3085: "ProjFalseOriginLatGeoKey",
  3086: "ProjFalseOriginEastingGeoKey",
  3087: "ProjFalseOriginNorthingGeoKey",
  3088: "ProjCenterLongGeoKey",
  3089: "ProjCenterLatGeoKey",
  3090: "ProjCenterEastingGeoKey",
  3091: "ProjCenterNorthingGeoKey",
  3092: "ProjScaleAtNatOriginGeoKey",
  3093: "ProjScaleAtCenterGeoKey",
  3094: "ProjAzimuthAngleGeoKey",
  3095: "ProjStraightVertPoleLongGeoKey",
  4096: "VerticalCSTypeGeoKey",
  4097: "VerticalCitationGeoKey",
  4098: "VerticalDatumGeoKey",
  4099: "VerticalUnitsGeoKey",
};

/** GTRasterTypeGeoKey value meaning the tiepoint refers to a pixel's centre. */
export const RASTER_PIXEL_IS_POINT = 2;

/** Decodes a GeoKeyDirectory into `{name: value}` (doubles and ASCII resolved; unknown ids kept as `GeoKey<id>`). */
export function decodeGeoKeys(
  directory: readonly number[],
  doubles: readonly number[] | undefined,
  ascii: string | undefined,
): Record<string, number | string | number[]> {
  const keys: Record<string, number | string | number[]> = {};
  if (directory.length < 4) return keys;
  keys.KeyDirectoryVersion = directory[0]!;
  keys.KeyRevision = directory[1]!;
  keys.KeyRevisionMinor = directory[2]!;
  const count = directory[3]!;
  for (let k = 0; k < count; k++) {
    const at = 4 + k * 4;
    if (at + 3 >= directory.length) break;
    const id = directory[at]!;
    const location = directory[at + 1]!;
    const valueCount = directory[at + 2]!;
    const valueOffset = directory[at + 3]!;
    const name = GEO_KEY_NAMES[id] ?? `GeoKey${id}`;
    if (location === 0) keys[name] = valueOffset;
    else if (location === 34736 && doubles) {
      const values = doubles.slice(valueOffset, valueOffset + valueCount);
      keys[name] = values.length === 1 ? values[0]! : values;
    } else if (location === 34737 && ascii !== undefined) {
      keys[name] = ascii.slice(valueOffset, valueOffset + valueCount).replace(/\|$/, "");
    }
  }
  return keys;
}

/** EPSG code of the CRS (projected first, then geographic), when the keys carry one. */
export function epsgCode(keys: Record<string, unknown>): number | undefined {
  for (const name of ["ProjectedCSTypeGeoKey", "GeographicTypeGeoKey"]) {
    const value = keys[name];
    if (typeof value === "number" && value >= 1024 && value < 32767) return value;
  }
  return undefined;
}

/**
 * GDAL-style geotransform [x0, dx, rx, y0, ry, dy] of the pixel *corner* grid, from
 * ModelTransformation or ModelPixelScale + ModelTiepoint. PixelIsPoint rasters are shifted by half
 * a pixel, as GDAL does by default (GTIFF_POINT_GEO_IGNORE=FALSE).
 */
export function geoTransform(options: {
  pixelScale?: readonly number[];
  tiepoint?: readonly number[];
  transformation?: readonly number[];
  rasterType?: number;
}): number[] | undefined {
  let transform: number[] | undefined;
  const { pixelScale, tiepoint, transformation } = options;
  if (transformation && transformation.length >= 16) {
    const m = transformation;
    transform = [m[3]!, m[0]!, m[1]!, m[7]!, m[4]!, m[5]!];
  } else if (pixelScale && pixelScale.length >= 2 && tiepoint && tiepoint.length >= 6) {
    const [sx, sy] = [pixelScale[0]!, pixelScale[1]!];
    const [i, j, , x, y] = tiepoint;
    transform = [x! - i! * sx, sx, 0, y! + j! * sy, 0, -sy];
  }
  if (!transform) return undefined;
  if (options.rasterType === RASTER_PIXEL_IS_POINT) {
    transform[0] = transform[0]! - 0.5 * transform[1]! - 0.5 * transform[2]!;
    transform[3] = transform[3]! - 0.5 * transform[4]! - 0.5 * transform[5]!;
  }
  return transform;
}

/** Pixel-centre coordinates along x and y for an image of `width` × `height` (no rotation terms). */
export function pixelCenters(transform: readonly number[], width: number, height: number): { x: Float64Array; y: Float64Array } {
  const x = new Float64Array(width);
  const y = new Float64Array(height);
  for (let i = 0; i < width; i++) x[i] = transform[0]! + (i + 0.5) * transform[1]!;
  for (let j = 0; j < height; j++) y[j] = transform[3]! + (j + 0.5) * transform[5]!;
  return { x, y };
}

/** Parses GDAL_NODATA text ("-9999", "nan", "inf") into a number, or undefined when it is not one. */
export function parseNodata(text: string): number | undefined {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === "nan") return Number.NaN;
  if (trimmed === "inf" || trimmed === "+inf" || trimmed === "infinity") return Number.POSITIVE_INFINITY;
  if (trimmed === "-inf" || trimmed === "-infinity") return Number.NEGATIVE_INFINITY;
  const value = Number(trimmed);
  return trimmed !== "" && Number.isFinite(value) ? value : undefined;
}

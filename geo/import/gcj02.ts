/**
 * GCJ-02 (国测局坐标, "Mars coordinates") ↔ WGS84. Chinese web maps (AMap/高德, Tencent) and
 * data digitised on them carry an obfuscating offset of a few hundred metres; the product stores
 * WGS84/CGCS2000, so such data is converted on import when the user says it is GCJ-02 (it cannot
 * be told from the numbers alone). Outside mainland China GCJ-02 equals WGS84.
 *
 * The forward transform is the published Krasovsky-ellipsoid formula; the inverse has no closed
 * form and is solved by fixed-point iteration to well under a millimetre.
 */
import type { Position } from 'geojson';

const A = 6378245.0; // Krasovsky 1940 semi-major axis
// biome-ignore lint/correctness/noPrecisionLoss: the published constant, written as published; a double keeps what it can.
const EE = 0.00669342162296594323; // its eccentricity squared

/** Outside mainland China's rough bounding box GCJ-02 applies no offset. */
export function outOfChina(lon: number, lat: number): boolean {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

function transformLat(x: number, y: number): number {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3;
  r += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3;
  return r;
}

function transformLon(x: number, y: number): number {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3;
  r += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3;
  return r;
}

/** WGS84 [lon, lat] → GCJ-02 [lon, lat]. */
export function wgs84ToGcj02([lon, lat]: readonly [number, number]): [number, number] {
  if (outOfChina(lon, lat)) return [lon, lat];
  let dLat = transformLat(lon - 105, lat - 35);
  let dLon = transformLon(lon - 105, lat - 35);
  const radLat = (lat / 180) * Math.PI;
  let magic = Math.sin(radLat);
  magic = 1 - EE * magic * magic;
  const sqrtMagic = Math.sqrt(magic);
  dLat = (dLat * 180) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI);
  dLon = (dLon * 180) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return [lon + dLon, lat + dLat];
}

/** GCJ-02 [lon, lat] → WGS84 [lon, lat], iterated until the forward transform reproduces the input within 1e-9°. */
export function gcj02ToWgs84([lon, lat]: readonly [number, number]): [number, number] {
  if (outOfChina(lon, lat)) return [lon, lat];
  let x = lon;
  let y = lat;
  for (let i = 0; i < 30; i++) {
    const [fx, fy] = wgs84ToGcj02([x, y]);
    const ex = fx - lon;
    const ey = fy - lat;
    x -= ex;
    y -= ey;
    if (Math.abs(ex) < 1e-10 && Math.abs(ey) < 1e-10) break;
  }
  return [x, y];
}

/** Applies fn to every position of a geometry's nested coordinate arrays (extra ordinates kept). */
export function mapPositions<T>(coords: T, fn: (p: [number, number]) => [number, number]): T {
  if (Array.isArray(coords) && typeof coords[0] === 'number') {
    const p = coords as unknown as Position;
    return [...fn([p[0]!, p[1]!]), ...p.slice(2)] as unknown as T;
  }
  return (coords as unknown as unknown[]).map((c) => mapPositions(c, fn)) as unknown as T;
}

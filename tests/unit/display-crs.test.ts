/**
 * Display shift for GCJ-02 basemaps (geo/geometry/display-crs.ts): a tile moves by one affine map
 * (its centre's offset and that offset's first-order change), and that stays within the tile's own
 * coordinate grid from z14 wherever in China the tile is; GeoJSON overlays move per vertex and
 * come back exactly.
 */
import { describe, expect, it } from 'vitest';
import { fromDisplay, fromDisplayPoint, tileShiftError, toDisplay } from '../../geo/geometry/display-crs';
import { wgs84ToGcj02 } from '../../geo/import/gcj02';

const tileOf = (lon: number, lat: number, z: number) => {
  const n = 2 ** z;
  const r = (lat * Math.PI) / 180;
  return [Math.floor(((lon + 180) / 360) * n), Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n)] as const;
};
/** Ground size of one tile unit (extent 4096) at a latitude. */
const unit = (z: number, lat: number) => (40_075_016 * Math.cos((lat * Math.PI) / 180)) / 2 ** z / 4096;

describe('GCJ-02 display shift', () => {
  const places: [string, number, number][] = [
    ['Nanchang', 115.9, 28.63],
    ['Beijing', 116.4, 39.9],
    ['Guangzhou', 113.26, 23.13],
    ['Ürümqi', 87.6, 43.8],
  ];
  for (const [name, lon, lat] of places) {
    it(`shifts a tile at ${name} within its own coordinate grid from z14`, () => {
      for (const z of [14, 15, 16]) {
        const [x, y] = tileOf(lon, lat, z);
        expect(tileShiftError(z, x, y)).toBeLessThan(unit(z, lat));
      }
    });
  }

  it('moves GeoJSON overlays per vertex and back, leaving the input as it was', () => {
    const pin = { type: 'Feature' as const, properties: { id: 1 }, geometry: { type: 'Point' as const, coordinates: [115.9, 28.63] } };
    const shown = toDisplay(pin, 'gcj02');
    expect(shown.geometry.coordinates).toEqual(wgs84ToGcj02([115.9, 28.63]));
    expect(pin.geometry.coordinates).toEqual([115.9, 28.63]);
    const back = fromDisplay(shown, 'gcj02').geometry.coordinates;
    expect(back[0]).toBeCloseTo(115.9, 8);
    expect(back[1]).toBeCloseTo(28.63, 8);
    expect(fromDisplayPoint(shown.geometry.coordinates as [number, number], 'gcj02')[0]).toBeCloseTo(115.9, 8);
    expect(toDisplay(pin, 'wgs84')).toBe(pin);
  });
});

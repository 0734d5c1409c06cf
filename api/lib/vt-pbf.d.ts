/** vt-pbf ships no types; the one entry point the tile encoder uses. */
declare module 'vt-pbf' {
  export interface GeojsonVtFeature {
    /** 1 point, 2 line, 3 polygon */
    type: 1 | 2 | 3;
    /** Rings (polygons: closed, exterior positive area in tile coordinates) of [x, y] in tile units. */
    geometry: Array<Array<[number, number]>>;
    tags: Record<string, number | string | boolean>;
    id?: number;
  }
  export function fromGeojsonVt(
    layers: Record<string, { features: GeojsonVtFeature[] }>,
    options?: { version?: number; extent?: number },
  ): Uint8Array;
  const vtpbf: { fromGeojsonVt: typeof fromGeojsonVt };
  export default vtpbf;
}

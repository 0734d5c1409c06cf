// shpjs ships no types; only the one function used here is declared.
declare module 'shpjs' {
  import type { FeatureCollection } from 'geojson';
  export function parseZip(buffer: Uint8Array | ArrayBuffer): Promise<FeatureCollection | FeatureCollection[]>;
}

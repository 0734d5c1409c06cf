/**
 * The base style under our overlay. The default makes no request beyond our own server; OSM
 * and 天地图 are opt-in (BASEMAP), because many street offices run on networks that block them.
 */
import type { SourceSpecification, StyleSpecification } from '@maplibre/maplibre-gl-style-spec';
import type { MapTheme } from './map.theme';
import { overlayLayers, overlaySources, type TileOptions } from './overlay.layers';

export type BasemapConfig =
  | { kind: 'none' }
  | { kind: 'osm' }
  | { kind: 'tianditu'; tiandituKey?: string }
  /** crs gcj02: the style's streets are in GCJ-02, so our overlays are shifted on screen to match. */
  | { kind: 'style'; styleUrl?: string; crs?: 'gcj02' };

function rasterSource(kind: 'osm' | 'tianditu', key = ''): SourceSpecification {
  if (kind === 'osm') {
    return {
      type: 'raster',
      tiles: ['https://tile.openstreetmap.org/{z}/{x}/{y}.png'],
      tileSize: 256,
      maxzoom: 19,
      attribution: '© OpenStreetMap contributors',
    };
  }
  // 天地图 vector basemap (vec_w, Web Mercator) with its annotation layer (cva_w).
  return {
    type: 'raster',
    tiles: [0, 1, 2, 3].map(
      (n) =>
        `https://t${n}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=${encodeURIComponent(key)}`,
    ),
    tileSize: 256,
    maxzoom: 18,
    attribution: '© 天地图',
  };
}

export interface BaseStyleOptions {
  basemap: BasemapConfig;
  theme: MapTheme;
  communityIds: readonly number[];
  /** Absolute URL of the Latin font file; CJK is drawn with the browser's own fonts. */
  fontUrl: string;
  /** Where the grids' and buildings' vector tiles come from. */
  tiles: TileOptions;
}

/** A complete style for the built-in basemaps. A style-URL basemap gets the overlay added after it loads. */
export function baseStyle({ basemap, theme, communityIds, fontUrl, tiles }: BaseStyleOptions): StyleSpecification {
  const raster = basemap.kind === 'osm' || basemap.kind === 'tianditu';
  return {
    version: 8,
    name: 'minqing',
    'font-faces': { [theme.font]: [{ url: fontUrl, 'unicode-range': ['U+0000-024F', 'U+2000-206F'] }] },
    sources: {
      ...(raster ? { basemap: rasterSource(basemap.kind, basemap.kind === 'tianditu' ? basemap.tiandituKey : '') } : {}),
      ...overlaySources(tiles),
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': theme.background } },
      ...(raster ? [{ id: 'basemap', type: 'raster' as const, source: 'basemap', paint: { 'raster-opacity': 0.85 } }] : []),
      ...overlayLayers(theme, communityIds),
    ],
  };
}

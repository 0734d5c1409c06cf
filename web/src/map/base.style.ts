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
  | { kind: 'tianditu-img'; tiandituKey?: string }
  /** crs gcj02: the style's streets are in GCJ-02, so our overlays are shifted on screen to match. */
  | { kind: 'style'; styleUrl?: string; crs?: 'gcj02' };

type RasterKind = 'osm' | 'tianditu' | 'tianditu-img';

const isRaster = (b: BasemapConfig): b is Extract<BasemapConfig, { kind: RasterKind }> =>
  b.kind === 'osm' || b.kind === 'tianditu' || b.kind === 'tianditu-img';

/** One 天地图 WMTS layer in Web Mercator (the `_w` tile matrix set), over its eight hosts t0–t7. */
function tiandituSource(layer: 'vec' | 'cva' | 'img' | 'cia', key: string): SourceSpecification {
  return {
    type: 'raster',
    tiles: [0, 1, 2, 3, 4, 5, 6, 7].map(
      (n) =>
        `https://t${n}.tianditu.gov.cn/${layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=${layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=${encodeURIComponent(key)}`,
    ),
    tileSize: 256,
    maxzoom: 18,
    attribution: '© 天地图 GS(2024)0568号',
  };
}

/**
 * The raster sources of a built-in basemap, bottom first. 天地图 draws its place names on a
 * separate annotation layer (cva over the vector map, cia over imagery): without it the map is
 * nameless.
 */
function rasterSources(basemap: Extract<BasemapConfig, { kind: RasterKind }>): [string, SourceSpecification][] {
  if (basemap.kind === 'osm') {
    return [
      [
        'basemap',
        {
          type: 'raster',
          tiles: ['https://tile.openstreetmap.org/{z}/{x}/{y}.png'],
          tileSize: 256,
          maxzoom: 19,
          attribution: '© OpenStreetMap contributors',
        },
      ],
    ];
  }
  const key = basemap.tiandituKey ?? '';
  return basemap.kind === 'tianditu'
    ? [
        ['basemap', tiandituSource('vec', key)],
        ['basemap-labels', tiandituSource('cva', key)],
      ]
    : [
        ['basemap', tiandituSource('img', key)],
        ['basemap-labels', tiandituSource('cia', key)],
      ];
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
  const raster = isRaster(basemap) ? rasterSources(basemap) : [];
  return {
    version: 8,
    name: 'minqing',
    'font-faces': { [theme.font]: [{ url: fontUrl, 'unicode-range': ['U+0000-024F', 'U+2000-206F'] }] },
    sources: {
      ...Object.fromEntries(raster),
      ...overlaySources(tiles),
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': theme.background } },
      ...raster.map(([id]) => ({ id, type: 'raster' as const, source: id, paint: { 'raster-opacity': id === 'basemap' ? 0.85 : 1 } })),
      ...overlayLayers(theme, communityIds),
    ],
  };
}

import { validateStyleMin } from '@maplibre/maplibre-gl-style-spec';
import { describe, expect, it } from 'vitest';
import { baseStyle, type BasemapConfig } from '../../web/src/map/base.style';
import { LIGHT_THEME } from '../../web/src/map/map.theme';
import { LAYER, overlayLayers, overlaySources } from '../../web/src/map/overlay.layers';

const basemaps: BasemapConfig[] = [
  { kind: 'none' },
  { kind: 'osm' },
  { kind: 'tianditu', tiandituKey: 'k' },
];

describe('map style', () => {
  for (const basemap of basemaps) {
    it(`is a valid MapLibre style with the ${basemap.kind} basemap`, () => {
      const style = baseStyle({ basemap, theme: LIGHT_THEME, communityIds: [1, 2, 3], fontUrl: 'http://localhost/f.woff2' });
      expect(validateStyleMin(style as never)).toEqual([]);
      expect(style.layers.map((l) => l.id)).toContain(LAYER.gridFill);
    });
  }

  it('makes no request off the machine with the default basemap', () => {
    const style = baseStyle({ basemap: { kind: 'none' }, theme: LIGHT_THEME, communityIds: [], fontUrl: 'http://localhost/f.woff2' });
    const urls = JSON.stringify(style).match(/https?:\/\/[^"]+/g) ?? [];
    expect(urls.every((u) => u.startsWith('http://localhost/'))).toBe(true);
  });

  it('only uses sources it declares, so the overlay fits on any base style', () => {
    const sources = new Set(Object.keys(overlaySources()));
    for (const layer of overlayLayers(LIGHT_THEME, [1])) {
      if ('source' in layer) expect(sources.has(layer.source as string)).toBe(true);
    }
  });

  it('colours grids by the metric in feature-state, and by community until it arrives', () => {
    const fill = overlayLayers(LIGHT_THEME, [7, 9]).find((l) => l.id === LAYER.gridFill)!;
    const color = (fill.paint as Record<string, unknown>)['fill-color'];
    expect(color).toEqual([
      'coalesce',
      ['feature-state', 'color'],
      ['match', ['get', 'communityId'], 7, LIGHT_THEME.communityTints[0], 9, LIGHT_THEME.communityTints[1], LIGHT_THEME.communityTints[0]],
    ]);
  });
});

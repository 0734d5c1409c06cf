/**
 * A small map of a dry run's problem geometries, so "feature 12 lies outside every grid" is a
 * shape on a map and not only a number. No basemap: it must work offline, and the shapes are the
 * point. Fitted to what it shows.
 */

import * as maplibregl from 'maplibre-gl';
import { useEffect, useRef } from 'react';
import 'maplibre-gl/dist/maplibre-gl.css';
import { bbox as turfBBox } from '@turf/turf';
import type { FeatureCollection } from 'geojson';
import { LIGHT_THEME } from '../map/map.theme';
import { PREVIEW_SOURCE, previewLayers } from './import-preview.layers';

export function ImportPreview({ data, label }: { data: FeatureCollection; label: string }) {
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!container.current || data.features.length === 0) return;
    const [x0, y0, x1, y1] = turfBBox(data);
    const map = new maplibregl.Map({
      container: container.current,
      style: {
        version: 8,
        sources: { [PREVIEW_SOURCE]: { type: 'geojson', data } },
        layers: [
          { id: 'background', type: 'background', paint: { 'background-color': LIGHT_THEME.background } },
          ...previewLayers(LIGHT_THEME),
        ],
      },
      bounds: [x0!, y0!, x1!, y1!],
      fitBoundsOptions: { padding: 16, maxZoom: 18 },
      attributionControl: false,
    });
    // Marked once drawn, for screenshots and tests.
    map.once('idle', () => container.current?.classList.add('ready'));
    return () => map.remove();
  }, [data]);
  return <div ref={container} className="import-preview" role="img" aria-label={label} data-testid="import-preview" />;
}

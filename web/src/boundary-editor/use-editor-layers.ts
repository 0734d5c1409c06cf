import type { GeoJSON } from 'geojson';
import type { GeoJSONSource, Map as MapLibreMap } from 'maplibre-gl';
import { useEffect } from 'react';
import { type DisplayCrs, toDisplay } from '../../../geo/geometry/display-crs';
import { LIGHT_THEME } from '../map/map.theme';
import { EDITOR_SOURCE, editorLayers, editorSources, HATCH_IMAGE, hatchImage } from './boundary-editor.layers';

/** Adds the editor's sources and layers below anything Terra Draw adds later; removes them on cleanup. */
export function useEditorLayers(map: MapLibreMap) {
  useEffect(() => {
    if (!map.hasImage(HATCH_IMAGE)) map.addImage(HATCH_IMAGE, hatchImage(LIGHT_THEME.boundary.overlap));
    for (const [id, source] of Object.entries(editorSources())) if (!map.getSource(id)) map.addSource(id, source);
    const layers = editorLayers(LIGHT_THEME);
    for (const layer of layers) if (!map.getLayer(layer.id)) map.addLayer(layer);
    return () => {
      if (!map.getStyle()) return;
      for (const layer of layers) if (map.getLayer(layer.id)) map.removeLayer(layer.id);
      for (const id of Object.values(EDITOR_SOURCE)) if (map.getSource(id)) map.removeSource(id);
      if (map.hasImage(HATCH_IMAGE)) map.removeImage(HATCH_IMAGE);
    };
  }, [map]);
}

/** Puts WGS84 GeoJSON on the map, shifted to the basemap's system (geo/geometry/display-crs.ts). */
export function setSource(map: MapLibreMap, id: string, data: GeoJSON, crs: DisplayCrs) {
  (map.getSource(id) as GeoJSONSource | undefined)?.setData(toDisplay(data, crs));
}

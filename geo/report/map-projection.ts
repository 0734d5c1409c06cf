/**
 * A printed map of a few square kilometres: grid polygons projected into a box as SVG path data,
 * with a scale bar of a round length. The slides (SVG) and the PDF (pdfkit's path()) draw the
 * same paths, so screen and paper show the same map. Equirectangular with the longitude scaled by
 * cos(latitude) at the centre: over a street the distortion is far below a pixel.
 */
import type { MultiPolygon, Polygon } from 'geojson';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ProjectedArea {
  id: number;
  /** SVG path data (M/L/Z), even-odd holes. */
  path: string;
  /** A point to put the label on (the centre of the largest ring's bounds). */
  label: [number, number];
}

export interface ProjectedMap {
  areas: ProjectedArea[];
  /** Metres per output unit. */
  metresPerUnit: number;
  scaleBar: { metres: number; length: number; label: string };
}

const EARTH_M_PER_DEG = 111_320;

function rings(g: Polygon | MultiPolygon): number[][][][] {
  return g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
}

/** A round length (1, 2 or 5 × 10^n metres) close to `target` metres. */
export function roundLength(target: number): number {
  const p = 10 ** Math.floor(Math.log10(target));
  const m = target / p;
  return (m >= 5 ? 5 : m >= 2 ? 2 : 1) * p;
}

export function projectAreas(features: Array<{ id: number; geometry: Polygon | MultiPolygon }>, box: Box, pad = 0.04): ProjectedMap {
  let minX = Infinity,
    minY = Infinity,
    maxX = -Infinity,
    maxY = -Infinity;
  for (const f of features)
    for (const poly of rings(f.geometry))
      for (const ring of poly)
        for (const [x, y] of ring) {
          if (x! < minX) minX = x!;
          if (x! > maxX) maxX = x!;
          if (y! < minY) minY = y!;
          if (y! > maxY) maxY = y!;
        }
  if (!Number.isFinite(minX)) return { areas: [], metresPerUnit: 1, scaleBar: { metres: 0, length: 0, label: '' } };
  const k = Math.cos((((minY + maxY) / 2) * Math.PI) / 180);
  const wDeg = (maxX - minX) * k || 1e-6;
  const hDeg = maxY - minY || 1e-6;
  const inner = { width: box.width * (1 - 2 * pad), height: box.height * (1 - 2 * pad) };
  const scale = Math.min(inner.width / wDeg, inner.height / hDeg);
  const ox = box.x + (box.width - wDeg * scale) / 2;
  const oy = box.y + (box.height - hDeg * scale) / 2;
  const px = (lon: number) => ox + (lon - minX) * k * scale;
  const py = (lat: number) => oy + (maxY - lat) * scale;
  const f1 = (n: number) => n.toFixed(1);
  const areas = features.map((f) => {
    let path = '';
    let best = { area: -1, label: [0, 0] as [number, number] };
    for (const poly of rings(f.geometry)) {
      poly.forEach((ring, i) => {
        path += `${ring.map(([lon, lat], j) => `${j === 0 ? 'M' : 'L'}${f1(px(lon!))} ${f1(py(lat!))}`).join('')}Z`;
        if (i === 0) {
          const xs = ring.map((c) => px(c[0]!));
          const ys = ring.map((c) => py(c[1]!));
          const a = (Math.max(...xs) - Math.min(...xs)) * (Math.max(...ys) - Math.min(...ys));
          if (a > best.area) best = { area: a, label: [(Math.max(...xs) + Math.min(...xs)) / 2, (Math.max(...ys) + Math.min(...ys)) / 2] };
        }
      });
    }
    return { id: f.id, path, label: best.label };
  });
  const metresPerUnit = EARTH_M_PER_DEG / scale;
  const metres = roundLength(metresPerUnit * box.width * 0.2);
  return {
    areas,
    metresPerUnit,
    scaleBar: { metres, length: metres / metresPerUnit, label: metres >= 1000 ? `${metres / 1000} km` : `${metres} m` },
  };
}

/**
 * The geometries a dry run's report is about, for the import wizard's small map: each feature
 * that has a problem, marked with its worst one, then (for a grid file) the other features that
 * will be written, for context. Bounded, so a 23,000-building file's report stays small; the
 * coordinates are rounded to about 10 cm, plenty for a preview.
 */
import type { Feature, FeatureCollection, Geometry, GeometryCollection } from 'geojson';
import type { ImportProblem, ImportProblemCode, ImportSeverity } from './import-problems';

/** At most this many features in a preview. */
export const PREVIEW_MAX_FEATURES = 300;

export interface PreviewProperties {
  featureIndex: number;
  /** The feature's worst problem (an error before a warning), or null: written as it is. */
  code: ImportProblemCode | null;
  severity: ImportSeverity | null;
}

/** A preview draws shapes with coordinates; a GeometryCollection is left out. */
export type PreviewGeometry = Exclude<Geometry, GeometryCollection>;

const round = (v: unknown): unknown => (typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : Array.isArray(v) ? v.map(round) : v);

function rounded(g: Geometry): PreviewGeometry | null {
  if (g.type === 'GeometryCollection') return null;
  return { ...g, coordinates: round(g.coordinates) } as PreviewGeometry;
}

export function problemPreview(
  features: readonly Feature<Geometry | null>[],
  problems: readonly ImportProblem[],
  options: { withUnproblematic: boolean; max?: number } = { withUnproblematic: false },
): FeatureCollection<PreviewGeometry, PreviewProperties> {
  const max = options.max ?? PREVIEW_MAX_FEATURES;
  const worst = new Map<number, ImportProblem>();
  for (const p of problems) {
    if (p.featureIndex === undefined) continue;
    const seen = worst.get(p.featureIndex);
    if (!seen || (seen.severity === 'warning' && p.severity === 'error')) worst.set(p.featureIndex, p);
  }
  const out: Feature<PreviewGeometry, PreviewProperties>[] = [];
  const add = (i: number, p: ImportProblem | undefined) => {
    const g = features[i]?.geometry;
    const geometry = g ? rounded(g) : null;
    if (!geometry) return;
    out.push({ type: 'Feature', geometry, properties: { featureIndex: i, code: p?.code ?? null, severity: p?.severity ?? null } });
  };
  // Errors first: they are what the user must see if the preview is cut short.
  const ordered = [...worst.entries()].sort(([a, pa], [b, pb]) => (pa.severity === pb.severity ? a - b : pa.severity === 'error' ? -1 : 1));
  for (const [i, p] of ordered) {
    if (out.length >= max) break;
    add(i, p);
  }
  if (options.withUnproblematic) {
    for (let i = 0; i < features.length && out.length < max; i++) if (!worst.has(i)) add(i, undefined);
  }
  return { type: 'FeatureCollection', features: out };
}

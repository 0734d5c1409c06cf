/**
 * The import API as the wizard uses it (api/routes/imports.ts, docs/import-export.md): a dry run
 * of a file, possibly again with a field mapping or as GCJ-02, then the commit of that dry run.
 */
import type { FeatureCollection, Geometry } from 'geojson';
import type { ImportProblem, ImportProblemCode } from '../../../geo/import/import-problems';
import type { PreviewProperties } from '../../../geo/import/problem-preview';
import { requestForm, requestJson } from '../api';

export type ImportKind = 'grids' | 'buildings' | 'households';
export const IMPORT_KINDS: readonly ImportKind[] = ['grids', 'buildings', 'households'];

/** The file types the API reads; the picker offers them, the server tells them by their bytes. */
export const IMPORT_ACCEPT: Record<ImportKind, string> = {
  grids: '.geojson,.json,.zip,.kml,.fgb',
  buildings: '.geojson,.json,.zip,.kml,.fgb',
  households: '.xlsx,.csv',
};

export interface ImportCrs {
  source: 'prj' | 'geojson-crs' | 'flatgeobuf-header' | 'kml' | 'guessed';
  name: string;
  reprojected: boolean;
  swapped: boolean;
  fromGcj02: boolean;
}

export interface ImportReport {
  id: string;
  kind: ImportKind;
  fileName: string;
  format: string;
  createdAt: string;
  expiresAt?: string;
  crs?: ImportCrs;
  encoding?: string;
  mapping: Record<string, string | undefined>;
  fields: string[];
  counts: Record<string, number>;
  problemCounts: Partial<Record<ImportProblemCode, number>>;
  problems: ImportProblem[];
  preview?: FeatureCollection<Geometry, PreviewProperties> | null;
}

export interface ImportOptions {
  mapping?: Record<string, string>;
  gcj02?: boolean;
}

export async function dryRunImport(kind: ImportKind, file: File, options: ImportOptions = {}): Promise<ImportReport> {
  const form = new FormData();
  form.set('file', file, file.name);
  const mapping = Object.fromEntries(Object.entries(options.mapping ?? {}).filter(([, v]) => v));
  if (Object.keys(mapping).length) form.set('mapping', JSON.stringify(mapping));
  const query = new URLSearchParams({ kind, ...(options.gcj02 && kind !== 'households' ? { crs: 'gcj02' } : {}) });
  return (await requestForm<ImportReport>(`/api/imports?${query}`, form)).body;
}

export async function commitImport(id: string): Promise<{ id: string; kind: ImportKind; committed: Record<string, number> }> {
  return (await requestJson<{ id: string; kind: ImportKind; committed: Record<string, number> }>('POST', `/api/imports/${id}/commit`)).body;
}

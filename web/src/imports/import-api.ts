/**
 * The import API as the wizard uses it (api/routes/imports.ts, docs/import-export.md): a dry run
 * of a file, possibly again with a field mapping, as GCJ-02 or (a visit ledger) leaving out the rows
 * whose household is not found, then the commit of that dry run.
 */
import type { InferResponseType } from 'hono/client';
import { client, unwrap } from '../api';

export type ImportKind = 'communities' | 'grids' | 'buildings' | 'staff' | 'households' | 'visits' | 'issues';
export const IMPORT_KINDS: readonly ImportKind[] = ['communities', 'grids', 'buildings', 'staff', 'households', 'visits', 'issues'];
/** Kinds read as a sheet (XLSX/CSV), not geometry. */
export const TABLE_KINDS: readonly ImportKind[] = ['households', 'staff', 'visits', 'issues'];

/** The file types the API reads; the picker offers them, the server tells them by their bytes. */
export const IMPORT_ACCEPT: Record<ImportKind, string> = {
  communities: '.geojson,.json,.zip,.kml,.fgb',
  grids: '.geojson,.json,.zip,.kml,.fgb',
  buildings: '.geojson,.json,.zip,.kml,.fgb',
  households: '.xlsx,.csv',
  staff: '.xlsx,.csv',
  issues: '.xlsx,.csv',
  visits: '.xlsx,.csv',
};

/** A dry run's report: what the file holds, how its fields map, and what is wrong where. */
export type ImportReport = InferResponseType<typeof client.api.imports.$post, 201>;

export interface ImportOptions {
  mapping?: Record<string, string>;
  gcj02?: boolean;
  /** Visit ledgers: leave out rows whose household is not found or not told apart, instead of blocking the commit. */
  skipUnmatched?: boolean;
}

export async function dryRunImport(kind: ImportKind, file: File, options: ImportOptions = {}): Promise<ImportReport> {
  const mapping = Object.fromEntries(Object.entries(options.mapping ?? {}).filter(([, v]) => v));
  const form = {
    file,
    ...(Object.keys(mapping).length ? { mapping: JSON.stringify(mapping) } : {}),
    ...(kind === 'visits' && options.skipUnmatched ? { skipUnmatched: 'true' as const } : {}),
  };
  const query = { kind, ...(options.gcj02 && !TABLE_KINDS.includes(kind) ? { crs: 'gcj02' as const } : {}) };
  return unwrap(await client.api.imports.$post({ query, form }));
}

/** A roster's commit also lists each account created, with its one-time password: shown once. */
export type CommittedImport = Awaited<ReturnType<typeof commitImport>>;

export async function commitImport(id: string) {
  return unwrap(await client.api.imports[':id'].commit.$post({ param: { id } }));
}

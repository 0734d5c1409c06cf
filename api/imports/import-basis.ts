/**
 * What a geometry dry run's checks read, kept with the batch so that the commit can tell a real
 * change since the dry run from none (issue 19: a clean file's commit answered 409 "data changed
 * since the check" although nothing had; re-checking gave the same report). The basis is the
 * version of every community and live grid the checks looked at, in the caller's scope: the
 * commit compares it with the database's and refuses only when something differs, naming what.
 */
import type { Queryable } from '../db/database';
import type { GeoKind, ImportScope } from './import-scope';

/** `g<id>` / `c<id>` → "version|code" of each grid and community in scope. */
export type ImportBasis = Record<string, string>;

export interface BasisChange {
  kind: 'grid' | 'community';
  code: string;
  change: 'changed' | 'added' | 'removed';
}

export async function importBasis(tx: Queryable, kind: GeoKind, scope: ImportScope): Promise<ImportBasis> {
  const communities = scope.level === 'community' ? 'c.id = $1' : 'c.street_id = $1';
  const param = scope.level === 'community' ? scope.communityId : scope.streetId;
  const rows = await tx.query<{ k: string; v: string }>(
    `select 'c' || c.id as k, c.version || '|' || c.code as v from public.communities c where ${communities}
     ${
       kind === 'communities'
         ? ''
         : `union all
     select 'g' || g.id, g.version || '|' || g.code from public.grids g join public.communities c on c.id = g.community_id
     where ${communities} and g.retired_at is null`
     }`,
    [param],
  );
  return Object.fromEntries(rows.map((r) => [r.k, r.v]));
}

/** What differs between the dry run's basis and now, each named by its code. */
export function whatChanged(then: ImportBasis, now: ImportBasis): BasisChange[] {
  const out: BasisChange[] = [];
  const kindOf = (k: string): BasisChange['kind'] => (k.startsWith('g') ? 'grid' : 'community');
  const codeOf = (v: string) => v.slice(v.indexOf('|') + 1);
  for (const [k, v] of Object.entries(then)) {
    if (!(k in now)) out.push({ kind: kindOf(k), code: codeOf(v), change: 'removed' });
    else if (now[k] !== v) out.push({ kind: kindOf(k), code: codeOf(now[k]!), change: 'changed' });
  }
  for (const [k, v] of Object.entries(now)) if (!(k in then)) out.push({ kind: kindOf(k), code: codeOf(v), change: 'added' });
  return out;
}

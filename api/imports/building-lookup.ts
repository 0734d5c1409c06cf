/**
 * Which building a ledger row names, for both ledgers (households, visits). A ledger names a
 * building by the code a planning bureau's file gave it (楼栋编号, buildings.code), by its
 * address (建德观街49号1栋, maybe with unit and room after it), or by its name. Tried in that
 * order: a code is an identifier, an address locates, a name (often "1栋") is the weakest.
 */
import { normaliseAddress } from '../../geo/import/household-ledger.validation';
import type { Queryable } from '../db/database';

export interface LedgerBuilding {
  id: number;
  address: string;
  name: string | null;
  code: string | null;
  gridId: number;
}

/** The buildings of the grids the caller keeps (their full scope), oldest first. */
export function keptBuildings(tx: Queryable): Promise<LedgerBuilding[]> {
  return tx.query<LedgerBuilding>(
    `select b.id, b.address, b.name, b.code, b.grid_id as "gridId" from public.buildings b
     where b.grid_id = any (minqing.full_grid_ids()) order by b.id`,
  );
}

const push = (m: Map<string, number[]>, key: string | null, id: number) => {
  if (!key) return;
  const list = m.get(key);
  if (list) list.push(id);
  else m.set(key, [id]);
};

/**
 * A finder over `buildings`: given a row's address and building cells, the buildings they name —
 * one, several (a code or name two buildings share: the caller says which), or none.
 */
export function buildingFinder(buildings: readonly LedgerBuilding[]): (address: string | null, building: string | null) => number[] {
  const byAddress = new Map<string, number>();
  const byCode = new Map<string, number[]>();
  const byName = new Map<string, number[]>();
  for (const b of buildings) {
    const a = normaliseAddress(b.address);
    if (!byAddress.has(a)) byAddress.set(a, b.id);
    push(byCode, b.code ? normaliseAddress(b.code) : null, b.id);
    push(byName, b.name ? normaliseAddress(b.name) : null, b.id);
  }
  // Longest building address first: "建德观街49号1栋" must win over "建德观街49号".
  const prefixes = [...byAddress.entries()].sort((a, b) => b[0].length - a[0].length);
  return (address, building) => {
    if (building) {
      const coded = byCode.get(normaliseAddress(building));
      if (coded) return coded;
    }
    const tries = [address, building && address && address !== building ? address + building : null]
      .filter((t): t is string => !!t)
      .map(normaliseAddress);
    for (const t of tries) {
      const exact = byAddress.get(t);
      if (exact) return [exact];
    }
    for (const t of tries) {
      const hit = prefixes.find(([a]) => t.startsWith(a) && /^(\d*[单元室号户楼层-]|$)/.test(t.slice(a.length)));
      if (hit) return [hit[1]];
    }
    return building ? (byName.get(normaliseAddress(building)) ?? []) : [];
  };
}

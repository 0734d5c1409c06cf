/**
 * Finding a ledger row's building by its address, as the map writes it: exactly after
 * normalising (full-width digits, spaces, 号楼/栋/幢 alike), else the longest building address the
 * text starts with, followed by nothing or a unit/room (`建德观街49号1栋3单元` → `建德观街49号1栋`).
 * Used by the household and the matters ledgers.
 */
import { normaliseAddress } from './household-ledger.validation';

/**
 * An index of buildings by address; the finder returns every building (in the given order) whose
 * address the first matching try names — several when buildings share an address — or none.
 */
export function addressFinder(buildings: readonly { id: number; address: string }[]): (tries: readonly string[]) => number[] {
  const byAddress = new Map<string, number[]>();
  for (const b of buildings) {
    const k = normaliseAddress(b.address);
    byAddress.set(k, [...(byAddress.get(k) ?? []), b.id]);
  }
  // Longest building address first: "建德观街49号1栋" must win over "建德观街49号".
  const prefixes = [...byAddress.entries()].sort((a, b) => b[0].length - a[0].length);
  return (tries) => {
    const normalised = tries.map(normaliseAddress);
    for (const t of normalised) {
      const exact = byAddress.get(t);
      if (exact) return exact;
    }
    for (const t of normalised) {
      const hit = prefixes.find(([a]) => t.startsWith(a) && /^(\d*[单元室号户楼层-]|$)/.test(t.slice(a.length)));
      if (hit) return hit[1];
    }
    return [];
  };
}

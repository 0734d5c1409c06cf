import { bbox, booleanIntersects, feature } from '@turf/turf';
import { describe, expect, it } from 'vitest';
import type { DemoStreet } from '../../geo/demo/demo-street.types';
import { generateDemoDistrict } from '../../geo/demo/district.generator';
import { generateDemoStreet } from '../../geo/demo/street.generator';

// Small enough to run in a few seconds: three streets of one community, two months of history.
const OPTIONS = { today: '2026-11-15', streets: 3, communitiesPerStreet: 1, months: 2 } as const;
const district = [...generateDemoDistrict(OPTIONS)];
const alone = (k: number) => generateDemoStreet({ today: OPTIONS.today, seed: 20261122 + k, communities: 1, months: 2 });
const TABLES = ['communities', 'grids', 'buildings', 'households', 'staff', 'visits', 'patrols', 'issues', 'roads'] as const;
const all = <K extends (typeof TABLES)[number]>(table: K): DemoStreet[K] =>
  district.flatMap((s) => s[table] as { id: number }[]) as DemoStreet[K];

describe('the demo district generator', () => {
  it('yields the requested number of streets, each as large as the same street generated alone', () => {
    expect(district).toHaveLength(3);
    district.forEach((s, k) => {
      const ref = alone(k);
      for (const t of ['communities', 'grids', 'buildings', 'households', 'staff', 'visits', 'patrols', 'roads'] as const) {
        expect(s[t].length, `${t} of street ${k + 1}`).toBe(ref[t].length);
      }
      expect(s.issues.length).toBe(ref.issues.length); // far below the 999-a-month cap
    });
  });

  it('numbers every table 1..n across the streets, with no gap and no repeat', () => {
    for (const t of TABLES) {
      const ids = (all(t) as readonly { id: number }[]).map((r) => r.id);
      expect(ids, t).toEqual(ids.map((_, i) => i + 1));
    }
    expect(district.map((s) => s.street.id)).toEqual([1, 2, 3]);
  });

  it('points every reference at a row of the same street', () => {
    for (const s of district) {
      const has = (rows: readonly { id: number }[]) => new Set(rows.map((r) => r.id));
      const communities = has(s.communities);
      const grids = has(s.grids);
      const buildings = has(s.buildings);
      const households = has(s.households);
      const staff = has(s.staff);
      expect(s.communities.every((c) => c.streetId === s.street.id)).toBe(true);
      expect(s.grids.every((g) => communities.has(g.communityId) && staff.has(g.leaderId))).toBe(true);
      expect(s.buildings.every((b) => grids.has(b.gridId))).toBe(true);
      expect(s.households.every((h) => buildings.has(h.buildingId))).toBe(true);
      expect(s.staff.every((p) => (p.communityId === null || communities.has(p.communityId)) && p.gridIds.every((g) => grids.has(g)))).toBe(
        true,
      );
      expect(s.visits.every((v) => households.has(v.householdId) && staff.has(v.visitorId))).toBe(true);
      expect(s.patrols.every((p) => grids.has(p.gridId) && staff.has(p.staffId))).toBe(true);
      expect(
        s.issues.every(
          (i) =>
            grids.has(i.gridId) &&
            (i.buildingId === null || buildings.has(i.buildingId)) &&
            (i.householdId === null || households.has(i.householdId)) &&
            i.events.every((e) => staff.has(e.actorId)),
        ),
      ).toBe(true);
    }
  });

  it('keeps the values the database holds unique: codes, e-mail addresses, issue register numbers', () => {
    const unique = (xs: readonly (string | null)[]) => expect(new Set(xs).size).toBe(xs.length);
    unique(district.map((s) => s.street.code));
    unique(district.map((s) => s.street.name));
    unique(all('communities').map((c) => c.code));
    unique(all('grids').map((g) => g.code));
    unique(all('staff').map((p) => p.email));
    unique(all('issues').map((i) => i.regNo));
    // The schema's check on issues.reg_no.
    expect(all('issues').every((i) => /^[0-9]{4}(0[1-9]|1[0-2])[0-9]{3}$/.test(i.regNo))).toBe(true);
    // Codes nest: a grid's code starts with its community's, a community's with its street's.
    for (const s of district) {
      expect(s.communities.every((c) => c.code.startsWith(s.street.code))).toBe(true);
      expect(s.grids.every((g) => g.code.startsWith(s.street.code))).toBe(true);
    }
  });

  it('keeps the first street the demo street (its names, codes and sign-in addresses) apart from issue numbers', () => {
    const ref = alone(0);
    const [first] = district;
    expect(first!.street).toEqual(ref.street);
    expect(first!.grids).toEqual(ref.grids);
    expect(first!.households).toEqual(ref.households);
    expect(first!.staff).toEqual(ref.staff);
    expect(first!.visits).toEqual(ref.visits);
  });

  it('places the streets apart: no street outline touches another, and each street moved as a whole', () => {
    const outlines = district.map((s) => feature(s.street.boundary));
    for (let a = 0; a < outlines.length; a++) {
      for (let b = a + 1; b < outlines.length; b++)
        expect(booleanIntersects(outlines[a]!, outlines[b]!), `streets ${a + 1} and ${b + 1}`).toBe(false);
    }
    district.forEach((s, k) => {
      const [w, south, e, n] = bbox(feature(s.street.boundary));
      for (const b of s.buildings) {
        const [bw, bs, be, bn] = bbox(feature(b.footprint));
        expect(bw >= w && be <= e && bs >= south && bn <= n, `building ${b.id} inside street ${k + 1}`).toBe(true);
      }
    });
  });

  it('is deterministic and refuses sizes it cannot number', () => {
    expect([...generateDemoDistrict(OPTIONS)].map((s) => s.visits.at(-1))).toEqual(district.map((s) => s.visits.at(-1)));
    expect(() => [...generateDemoDistrict({ ...OPTIONS, streets: 0 })]).toThrow(/streets must be an integer 1\.\.999/);
    expect(() => [...generateDemoDistrict({ ...OPTIONS, communitiesPerStreet: 101 })]).toThrow(/communitiesPerStreet/);
  });
});

import { describe, expect, it } from 'vitest';
import type { HouseholdCategory, VisitMethod, VisitResult } from '../../geo/domain/household';
import { DEFAULT_POLICY, type PolicySettings } from '../../geo/domain/visit-policy';
import {
  addDays,
  chinaDate,
  computeStats,
  daysBetween,
  type MetricsDataset,
  policyInForce,
  roundTo1,
} from '../../geo/metrics/coverage.reference';

const D = '2026-11-15';
/** A timestamp at noon, China time, on a date. */
const at = (date: string, time = '12:00:00') => `${date}T${time}+08:00`;

/** A policy where every category needs a visit every `interval` days (ordinary: 10). */
function policy(over: Partial<PolicySettings> = {}, interval = 10): PolicySettings {
  const intervals = Object.fromEntries(Object.keys(DEFAULT_POLICY.intervals).map((c) => [c, interval])) as PolicySettings['intervals'];
  return { ...DEFAULT_POLICY, intervals, ...over };
}

interface HouseholdSpec {
  categories?: HouseholdCategory[];
  movedIn?: string;
  movedOut?: string | null;
  visits?: { date?: string; at?: string; method?: VisitMethod; result?: VisitResult }[];
}

/** One community (1), one grid (10), one building (100) with the given households. */
function dataset(households: HouseholdSpec[], extra: Partial<MetricsDataset> = {}): MetricsDataset {
  return {
    grids: [{ id: 10, communityId: 1 }],
    buildings: [{ id: 100, gridId: 10 }],
    households: households.map((h, i) => ({
      id: 1000 + i,
      buildingId: 100,
      categories: h.categories ?? ['ordinary'],
      movedIn: h.movedIn ?? '2020-01-01',
      movedOut: h.movedOut ?? null,
    })),
    visits: households.flatMap((h, i) =>
      (h.visits ?? []).map((v) => ({
        householdId: 1000 + i,
        visitedAt: v.at ?? at(v.date ?? D),
        method: v.method ?? 'in_person',
        result: v.result ?? 'met',
      })),
    ),
    patrols: [],
    issues: [],
    policies: [{ communityId: null, validFrom: '2000-01-01', settings: policy() }],
    ...extra,
  };
}

const grid = (data: MetricsDataset, asOf = D) => {
  const g = computeStats(data, asOf).grids[0];
  if (!g) throw new Error('no grid');
  return g;
};

describe('date helpers', () => {
  it('puts a timestamp on its date in China (UTC+8)', () => {
    expect(chinaDate('2026-11-14T15:59:59Z')).toBe('2026-11-14');
    expect(chinaDate('2026-11-14T16:00:00Z')).toBe('2026-11-15');
    expect(chinaDate('2026-11-15T00:00:00+08:00')).toBe('2026-11-15');
    expect(chinaDate('2026-11-15T23:59:59+08:00')).toBe('2026-11-15');
    expect(chinaDate('2026-11-14T12:30:00-04:00')).toBe('2026-11-15');
    expect(() => chinaDate('2026-11-15T12:00:00')).toThrow(/offset/);
  });

  it('counts whole days across months, leap days and years', () => {
    expect(addDays('2026-11-15', -30)).toBe('2026-10-16');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(daysBetween('2025-11-15', '2026-11-15')).toBe(365);
    expect(daysBetween('2026-11-15', '2026-11-10')).toBe(-5);
    expect(() => addDays('2026-02-30', 1)).toThrow(/calendar/);
  });

  it('rounds halves up, to one decimal', () => {
    expect(roundTo1(3.75)).toBe(3.8);
    expect(roundTo1(3.74)).toBe(3.7);
    expect(roundTo1(0)).toBe(0);
    expect(roundTo1(100)).toBe(100);
    // An exact half that floating point computes a hair below: still rounded up.
    expect(0.85 * 0.75 * 100).toBeLessThan(63.75);
    expect(roundTo1(0.85 * 0.75 * 100)).toBe(63.8);
    expect(roundTo1(0.35 * 0.75 * 100)).toBe(26.3);
  });
});

describe('households in scope', () => {
  it('gives null coverage and zero counts when a grid has no households', () => {
    const g = grid(dataset([]));
    expect(g).toMatchObject({ households: 0, coveredHouseholds: 0, coverage: null, overdueHouseholds: 0, daysSinceLastVisit: null });
    expect(g.attentionBreakdown.coverageGap).toBe(0);
    expect(g.attentionBreakdown.overdueIssues).toBe(0);
  });

  it('counts a household that moves out on D as gone and one that moves in on D as present', () => {
    const g = grid(dataset([{ movedOut: D }, { movedIn: D }, { movedIn: addDays(D, 1) }, { movedOut: addDays(D, 1) }]));
    expect(g.households).toBe(2);
  });

  it('lists every grid and building, sorted by id, even an empty one or one outside every grid', () => {
    const data = dataset([{}], {
      grids: [
        { id: 12, communityId: 1 },
        { id: 10, communityId: 1 },
      ],
      buildings: [
        { id: 101, gridId: null },
        { id: 100, gridId: 10 },
        { id: 99, gridId: 12 },
      ],
    });
    const s = computeStats(data, D);
    expect(s.grids.map((g) => [g.id, g.households])).toEqual([
      [10, 1],
      [12, 0],
    ]);
    expect(s.buildings.map((b) => [b.id, b.gridId, b.households])).toEqual([
      [99, 12, 0],
      [100, 10, 1],
      [101, null, 0],
    ]);
  });
});

describe('coverage', () => {
  it('does not cover with a visit exactly I days ago, but does with one I − 1 days ago', () => {
    const g = grid(dataset([{ visits: [{ date: addDays(D, -10) }] }, { visits: [{ date: addDays(D, -9) }] }]));
    expect(g.households).toBe(2);
    expect(g.coveredHouseholds).toBe(1);
    expect(g.coverage).toBe(0.5);
  });

  it('covers with a visit on D itself, and ignores a visit after D', () => {
    const g = grid(
      dataset([{ visits: [{ at: at(D, '23:59:59') }] }, { visits: [{ at: '2026-11-15T16:00:00Z' /* the 16th in China */ }] }]),
    );
    expect(g.coveredHouseholds).toBe(1);
    expect(g.daysSinceLastVisit).toBe(0);
  });

  it('reads the visit date in China: 23:30 UTC on D − 10 is D − 9 there, so it covers', () => {
    const g = grid(dataset([{ visits: [{ at: `${addDays(D, -10)}T23:30:00Z` }] }]));
    expect(g.coveredHouseholds).toBe(1);
    expect(g.daysSinceLastVisit).toBe(9);
  });

  it('ignores not-at-home attempts unless notHomeCounts', () => {
    const h = [{ visits: [{ date: D, result: 'not_home' as const }] }];
    expect(grid(dataset(h)).coveredHouseholds).toBe(0);
    expect(grid(dataset(h)).daysSinceLastVisit).toBeNull();
    const counting = dataset(h, { policies: [{ communityId: null, validFrom: '2000-01-01', settings: policy({ notHomeCounts: true }) }] });
    expect(grid(counting).coveredHouseholds).toBe(1);
  });

  it("ignores a third party's word by default, and counts it where the policy lists it", () => {
    const h = [{ visits: [{ date: D, method: 'third_party' as const }] }, { visits: [{ date: D, method: 'video' as const }] }];
    expect(grid(dataset(h)).coveredHouseholds).toBe(1);
    const onlyThirdParty = dataset(h, {
      policies: [{ communityId: null, validFrom: '2000-01-01', settings: policy({ countedMethods: ['third_party'] }) }],
    });
    expect(grid(onlyThirdParty).coveredHouseholds).toBe(1);
    expect(DEFAULT_POLICY.countedMethods).not.toContain('third_party');
  });

  it('uses the strictest interval of a household with several categories', () => {
    const settings = policy({ intervals: { ...policy().intervals, ordinary: 30, elderly: 5, key_person: 20 } });
    const data = dataset(
      [
        { categories: ['ordinary', 'key_person', 'elderly'], visits: [{ date: addDays(D, -5) }] },
        { categories: ['ordinary', 'key_person'], visits: [{ date: addDays(D, -5) }] },
      ],
      {
        policies: [{ communityId: null, validFrom: '2000-01-01', settings }],
      },
    );
    expect(grid(data).coveredHouseholds).toBe(1);
  });

  it('takes the latest qualifying visit as L and reports D − max(L)', () => {
    const g = grid(
      dataset([
        { visits: [{ date: addDays(D, -12) }, { date: addDays(D, -3), result: 'not_home' }, { date: addDays(D, -11) }] },
        { visits: [{ date: addDays(D, -7) }] },
        {},
      ]),
    );
    expect(g.daysSinceLastVisit).toBe(7);
  });
});

describe('overdue', () => {
  it('is due I days after moving in when never visited, and overdue only once that date is past', () => {
    const households = [{ movedIn: addDays(D, -10) }, { movedIn: addDays(D, -11) }, { movedIn: addDays(D, -9) }];
    const g = grid(dataset(households));
    // due D, D − 1, D + 1: only the second is before D.
    expect(g.overdueHouseholds).toBe(1);
  });

  it('is due I days after the last visit', () => {
    const g = grid(dataset([{ visits: [{ date: addDays(D, -10) }] }, { visits: [{ date: addDays(D, -11) }] }]));
    // Neither is covered; due D (not overdue) and D − 1 (overdue).
    expect(g.coveredHouseholds).toBe(0);
    expect(g.overdueHouseholds).toBe(1);
  });

  it('counts at-risk households and their overdue ones by the policy’s atRisk list', () => {
    const g = grid(
      dataset([
        { categories: ['key_person'], movedIn: '2020-01-01' },
        { categories: ['disabled', 'ordinary'], visits: [{ date: D }] },
        { categories: ['ordinary'] },
      ]),
    );
    expect(g).toMatchObject({ atRiskHouseholds: 2, atRiskOverdue: 1, overdueHouseholds: 2 });
  });
});

describe('issues', () => {
  const issue = (o: Partial<MetricsDataset['issues'][number]>): MetricsDataset['issues'][number] => ({
    gridId: 10,
    buildingId: null,
    receivedAt: at(addDays(D, -20)),
    dueAt: at(addDays(D, -1)),
    closedAt: null,
    cancelledAt: null,
    ...o,
  });

  it('is open from the day it is received until the day it is closed or cancelled', () => {
    const issues = [
      issue({ receivedAt: at(D, '23:59:00') }), // open, received on D
      issue({ receivedAt: '2026-11-15T16:30:00Z' }), // received on D + 1 in China: not yet
      issue({ closedAt: at(D, '00:00:01') }), // closed on D: not open
      issue({ closedAt: at(addDays(D, 1), '00:00:01') }), // closed after D: open
      issue({ cancelledAt: at(D) }), // cancelled on D: not open
      issue({ cancelledAt: at(addDays(D, 1)) }), // cancelled after D: open
    ];
    const g = grid(dataset([{}], { issues }));
    expect(g.openIssues).toBe(3);
  });

  it('is overdue when open and due before D, not when due on D', () => {
    const issues = [
      issue({ dueAt: at(addDays(D, -1), '23:59:59') }),
      issue({ dueAt: at(D, '00:00:00') }),
      issue({ dueAt: at(addDays(D, -5)), closedAt: at(D) }),
      issue({ dueAt: at(addDays(D, -5)), cancelledAt: at(addDays(D, -2)) }),
    ];
    const g = grid(dataset([{}], { issues }));
    expect(g).toMatchObject({ openIssues: 2, overdueIssues: 1 });
  });

  it('counts for its grid and, when it has one, for its building', () => {
    const data = dataset([{}], {
      grids: [
        { id: 10, communityId: 1 },
        { id: 11, communityId: 1 },
      ],
      buildings: [
        { id: 100, gridId: 10 },
        { id: 101, gridId: 11 },
      ],
      issues: [issue({ gridId: 10, buildingId: 101 }), issue({ gridId: 10 })],
    });
    const s = computeStats(data, D);
    expect(s.grids.map((g) => g.openIssues)).toEqual([2, 0]);
    expect(s.buildings.map((b) => b.openIssues)).toEqual([0, 1]);
  });
});

describe('policy in force', () => {
  const street = policy({}, 10);
  const streetLater = policy({}, 20);
  const community = policy({}, 5);
  const policies = [
    { communityId: null, validFrom: '2026-01-01', settings: street },
    { communityId: null, validFrom: '2026-11-10', settings: streetLater },
    { communityId: 2, validFrom: '2026-11-15', settings: community },
  ];

  it('takes the row with the greatest valid_from on or before D, a community’s own before the street’s', () => {
    expect(policyInForce(policies, 1, '2026-11-09')).toBe(street);
    expect(policyInForce(policies, 1, '2026-11-10')).toBe(streetLater);
    expect(policyInForce(policies, 2, '2026-11-14')).toBe(streetLater);
    expect(policyInForce(policies, 2, '2026-11-15')).toBe(community);
    expect(policyInForce(policies, null, '2026-11-15')).toBe(streetLater);
    expect(policyInForce(policies, 2, '2025-12-31')).toBe(DEFAULT_POLICY);
  });

  it('switches a grid’s coverage when a new policy takes effect', () => {
    const data = dataset([{ visits: [{ date: addDays('2026-11-15', -7) }] }], {
      grids: [{ id: 10, communityId: 2 }],
      policies,
    });
    // Visit on 11-08. Interval 10 until 11-09, 20 from 11-10, 5 from 11-15 (community 2).
    expect(grid(data, '2026-11-09').coveredHouseholds).toBe(1);
    expect(grid(data, '2026-11-14').coveredHouseholds).toBe(1);
    expect(grid(data, '2026-11-15').coveredHouseholds).toBe(0);
  });

  it('uses the street-wide policy for a building outside every grid', () => {
    const data = dataset([{ visits: [{ date: addDays(D, -7) }] }], {
      grids: [{ id: 10, communityId: 2 }],
      buildings: [{ id: 100, gridId: null }],
      policies,
    });
    const s = computeStats(data, D);
    expect(s.buildings[0]).toMatchObject({ gridId: null, households: 1, coveredHouseholds: 1, daysSinceLastPatrol: null });
    expect(s.grids[0]?.households).toBe(0);
  });
});

describe('patrols and attention', () => {
  it('counts the latest patrol started by D that lasted long enough; an unfinished one does not', () => {
    const data = dataset([{}], {
      patrols: [
        { gridId: 10, startedAt: at(addDays(D, -6)), endedAt: at(addDays(D, -6), '12:30:00') }, // 30 min: counts
        { gridId: 10, startedAt: at(addDays(D, -3)), endedAt: at(addDays(D, -3), '12:29:59') }, // too short
        { gridId: 10, startedAt: at(addDays(D, -2)), endedAt: null }, // not finished
        { gridId: 10, startedAt: at(addDays(D, 1)), endedAt: at(addDays(D, 1), '13:00:00') }, // after D
        { gridId: 11, startedAt: at(D), endedAt: at(D, '13:00:00') }, // another grid
      ],
    });
    expect(grid(data).daysSinceLastPatrol).toBe(6);
    expect(computeStats(data, D).buildings[0]?.daysSinceLastPatrol).toBe(6);
  });

  it('weighs the four terms and rounds to one decimal', () => {
    const settings = policy({
      atRisk: ['key_person'],
      attention: {
        weights: { coverageGap: 0.4, atRiskOverdue: 0.3, overdueIssues: 0.15, patrolGap: 0.15 },
        overdueIssuesPer100Cap: 50,
        patrolGapDaysCap: 14,
      },
    });
    // 3 households: one covered; two key persons, one of them overdue.
    const data = dataset(
      [
        { visits: [{ date: D }] },
        { categories: ['key_person'], movedIn: '2020-01-01' },
        { categories: ['key_person'], movedIn: addDays(D, -5) },
      ],
      {
        policies: [{ communityId: null, validFrom: '2000-01-01', settings }],
        patrols: [{ gridId: 10, startedAt: at(addDays(D, -7)), endedAt: at(addDays(D, -7), '13:00:00') }],
        issues: [
          { gridId: 10, buildingId: null, receivedAt: at(addDays(D, -9)), dueAt: at(addDays(D, -2)), closedAt: null, cancelledAt: null },
        ],
      },
    );
    const g = grid(data);
    // coverageGap 0.4 × 2/3 × 100 = 26.67; atRiskOverdue 0.3 × 1/2 × 100 = 15;
    // overdueIssues 0.15 × min(1, (1 × 100 / 3) / 50) × 100 = 10; patrolGap 0.15 × 7/14 × 100 = 7.5.
    expect(g.attentionBreakdown).toEqual({ coverageGap: 26.7, atRiskOverdue: 15, overdueIssues: 10, patrolGap: 7.5 });
    expect(g.attention).toBe(59.2); // 59.1667
  });

  it('scores a never-patrolled, empty grid by the patrol term alone, and caps every term at its weight', () => {
    const empty = grid(dataset([]));
    expect(empty.attention).toBe(15);
    expect(empty.attentionBreakdown).toEqual({ coverageGap: 0, atRiskOverdue: 0, overdueIssues: 0, patrolGap: 15 });
    const neglected = grid(
      dataset([{ categories: ['key_person'] }], {
        issues: [
          { gridId: 10, buildingId: null, receivedAt: at('2026-01-01'), dueAt: at('2026-01-08'), closedAt: null, cancelledAt: null },
        ],
        policies: [{ communityId: null, validFrom: '2000-01-01', settings: DEFAULT_POLICY }],
      }),
    );
    expect(neglected.attention).toBe(100);
  });

  it('rounds the total from the unrounded points, not from the rounded breakdown', () => {
    const settings = policy({
      attention: {
        weights: { coverageGap: 0.5, atRiskOverdue: 0, overdueIssues: 0, patrolGap: 0.5 },
        overdueIssuesPer100Cap: 2,
        patrolGapDaysCap: 3,
      },
    });
    // 3 households, 2 covered: coverageGap 0.5 × 1/3 × 100 = 16.67; patrol 1 day of 3: 0.5 × 1/3 × 100 = 16.67.
    // The rounded points add up to 33.4; the total is 33.33 → 33.3.
    const g = grid(
      dataset([{ visits: [{ date: D }] }, { visits: [{ date: D }] }, {}], {
        policies: [{ communityId: null, validFrom: '2000-01-01', settings }],
        patrols: [{ gridId: 10, startedAt: at(addDays(D, -1)), endedAt: at(addDays(D, -1), '13:00:00') }],
      }),
    );
    expect(g.attentionBreakdown).toMatchObject({ coverageGap: 16.7, patrolGap: 16.7 });
    expect(g.attention).toBe(33.3);
  });
});

import { describe, expect, it } from 'vitest';
import { type ReportInput, readTierEntry, recordRun, renderReport, type TierEntry } from '../../bench/report.render';

const EARLIER = '2026-11-26T17:06:30.541Z';
const NOW = '2026-12-02T09:15:00.000Z';
const machine = { nproc: 2, cpuModel: 'Intel(R) Xeon(R) Processor', memGB: 24, loadavg: [1, 1, 1], node: 'v22.0.0' };
const figure = (median: number, min: number, max: number, runs = 10) => ({ median, p95: max, min, max, runs });

/**
 * A results file as a run of `--steps stats,ingest` on the embedded database leaves it: the API
 * figure and the ingest figures are this run's, the bare SELECT is an earlier run's, and the
 * maintained bulk INSERT came out faster than the unmaintained one (noise larger than the cost).
 */
const resultsFile = JSON.stringify({
  community: {
    benchRuns: {
      [EARLIER]: { at: EARLIER, commit: '31a5e79aa4a70ef8053dccadbdccf96f7159a73a', machine },
      [NOW]: {
        at: NOW,
        commit: '0123456789abcdef0123456789abcdef01234567',
        machine,
        callsPerFigure: 40,
        slowCallsPerFigure: 5,
        runInfo: { pglite: { origin: {}, stepSeconds: { stats: 12, ingest: 9 }, failures: {} } },
      },
    },
    results: {
      pglite: {
        grids: 12,
        buildings: 328,
        households: 3171,
        visits: 32183,
        gridStatsApi: figure(20, 15, 25),
        gridRollupBareSelect: figure(0.5, 0.4, 0.9),
        bulk2000Maintained: figure(900, 850, 980, 3),
        bulk2000Unmaintained: figure(1150, 700, 1560, 3),
      },
    },
    measuredIn: {
      pglite: {
        grids: NOW,
        buildings: NOW,
        households: NOW,
        visits: NOW,
        gridStatsApi: NOW,
        gridRollupBareSelect: EARLIER,
        bulk2000Maintained: NOW,
        bulk2000Unmaintained: NOW,
      },
    },
  },
});

const render = (entry: TierEntry, o: Partial<ReportInput> = {}) =>
  renderReport({
    tier: 'community',
    entry,
    current: NOW,
    includePrevious: false,
    allSteps: ['stats', 'ingest'],
    steps: ['stats', 'ingest'],
    ...o,
  });
const row = (md: string, label: string) => md.split('\n').find((l) => l.startsWith(`| ${label}`)) ?? `(no row "${label}")`;
const entry = () => readTierEntry(JSON.parse(resultsFile).community)!;

describe("the bench's tables say which figures this run measured", () => {
  it("leaves an earlier run's figure out by default, and says it did", () => {
    const md = render(entry());
    expect(md).toContain('Every figure below was measured in this run; 1 figure in bench/results.json from earlier runs left out');
    expect(row(md, 'GET /api/stats/grids (today, rollup)')).toBe('| GET /api/stats/grids (today, rollup) | 20 ms / 25 ms |');
    expect(md).not.toContain('bare SELECT of minqing.grid_rollup');
    expect(md).not.toContain('(earlier run');
    // The ratio and the target need the left-out figure: neither is computed from an old one.
    expect(md).not.toContain('API ÷ bare SELECT (API overhead)');
    expect(row(md, 'API ÷ bare SELECT ≤ 2×')).toBe('| API ÷ bare SELECT ≤ 2× | not measured in this run |');
  });

  it("marks an earlier run's figure, and what is computed from it, with its date and commit when asked", () => {
    const md = render(entry(), { includePrevious: true });
    const mark = '(earlier run 2026-11-26, commit 31a5e79)';
    expect(row(md, 'bare SELECT of minqing.grid_rollup')).toBe(`| bare SELECT of minqing.grid_rollup | 0.50 ms / 0.90 ms ${mark} |`);
    expect(row(md, 'GET /api/stats/grids (today, rollup)')).toBe('| GET /api/stats/grids (today, rollup) | 20 ms / 25 ms |');
    expect(row(md, 'API ÷ bare SELECT (API overhead)')).toBe(`| API ÷ bare SELECT (API overhead) | 40× ${mark} |`);
    expect(row(md, 'API ÷ bare SELECT ≤ 2×')).toBe(`| API ÷ bare SELECT ≤ 2× | **missed by 20.0×** (40×) ${mark} |`);
  });

  it('marks figures from a file written before runs were recorded as of unknown date', () => {
    const legacy = readTierEntry({
      at: EARLIER,
      machine: { cpus: 2 },
      runs: 10,
      results: { postgres: { gridRollupBareSelect: figure(0.4, 0.3, 11) } },
    })!;
    const md = render(recordRun(legacy, NOW, { at: NOW, commit: 'abcdef0123', machine }, { pglite: { grids: 12 } }), {
      includePrevious: true,
    });
    expect(row(md, 'bare SELECT of minqing.grid_rollup')).toBe(
      '| bare SELECT of minqing.grid_rollup | – | 0.40 ms / 11 ms (carried over, date unknown) | – |',
    );
  });
});

describe('a difference of two noisy timings', () => {
  it('is not resolved, and never met, when its spread is larger than it (a negative cost included)', () => {
    const md = render(entry());
    // (900 − 1150) / 2000 visits = −125 µs; spread (65 + 430) / 2000 = ±248 µs.
    expect(row(md, 'rollup maintenance per visit in bulk (µs)')).toBe(
      '| rollup maintenance per visit in bulk (µs), ± spread | not resolved at this size (spread ±248 µs) |',
    );
    expect(row(md, 'rollup maintenance per visit in bulk ≤')).toBe(
      '| rollup maintenance per visit in bulk ≤ 50 µs | not resolved at this size (spread ±248 µs) |',
    );
    expect(md).not.toMatch(/met \(-/);
  });

  it('is shown with its spread, and judged on all of it, when resolved', () => {
    const judged = (maintained: ReturnType<typeof figure>) => {
      const e = entry();
      e.results.pglite!.bulk2000Maintained = maintained;
      e.results.pglite!.bulk2000Unmaintained = figure(1000, 995, 1005, 3);
      return row(render(e), 'rollup maintenance per visit in bulk ≤');
    };
    // +30 ± 5 µs a visit: all of it under 50.
    expect(judged(figure(1060, 1055, 1065, 3))).toBe('| rollup maintenance per visit in bulk ≤ 50 µs | met (30 ± 5 µs) |');
    // +100 ± 5 µs: all of it over.
    expect(judged(figure(1200, 1195, 1205, 3))).toBe('| rollup maintenance per visit in bulk ≤ 50 µs | **missed by 2.0×** (100 ± 5 µs) |');
    // +50 ± 15 µs: the target is inside the spread.
    expect(judged(figure(1100, 1080, 1120, 3))).toContain('not decided');
  });
});

describe('results.json keeps who measured each figure', () => {
  it("keeps an earlier run's figures with their run, drops a run no figure names any more", () => {
    const older = recordRun(
      undefined,
      EARLIER,
      { at: EARLIER, commit: 'aaaaaaa', machine },
      { pglite: { grids: 12, gridStatsApi: figure(30, 20, 40) } },
    );
    const later = recordRun(older, NOW, { at: NOW, commit: 'bbbbbbb', machine }, { pglite: { gridStatsApi: figure(20, 15, 25) } });
    expect(later.measuredIn.pglite).toEqual({ grids: EARLIER, gridStatsApi: NOW });
    expect(Object.keys(later.benchRuns).sort()).toEqual([EARLIER, NOW]);
    const again = recordRun(
      later,
      '2026-12-03T00:00:00.000Z',
      { at: '2026-12-03T00:00:00.000Z', commit: 'c', machine },
      { pglite: { grids: 12, gridStatsApi: figure(1, 1, 1) } },
    );
    expect(Object.keys(again.benchRuns)).toEqual(['2026-12-03T00:00:00.000Z']);
  });
});

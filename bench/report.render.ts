/**
 * The bench's tables and its results file, as pure functions: `bench/run.ts` measures and writes,
 * this module only reads figures and returns markdown, so a test can render a results file without
 * running a benchmark.
 *
 * Every figure in bench/results.json names the bench run that measured it (when, at which commit,
 * on which machine). A run of some steps or of one database keeps the other figures from earlier
 * runs; the tables show only this run's figures unless asked (`--include-previous`), and then mark
 * each carried-over figure with its run's date and commit, so that a reader never takes an old
 * figure for a new one.
 */

/**
 * A timed figure. Only answers count: a call that fails is an error, never a sample; `error` is
 * the first. `min` and `max` are stored since provenance was: a difference of two figures needs
 * their spread.
 */
export interface Figure {
  median: number;
  p95: number;
  runs: number;
  min?: number;
  max?: number;
  errors?: number;
  error?: string;
}
export type Value = Figure | number;
export type Results = Record<string, Value>;

export interface Machine {
  nproc: number;
  cpuModel: string;
  memGB?: number;
  loadavg?: number[];
  node?: string;
}
/** Per database: how it was obtained, each step's wall time, and the steps that failed and why. */
export interface RunInfo {
  origin: Record<string, number | string>;
  stepSeconds: Record<string, number>;
  failures: Record<string, string>;
}

/** One bench run: what measured the figures that name it. */
export interface BenchRun {
  at: string | null;
  commit: string | null;
  /** Tracked files differed from `commit` when the run started. */
  dirty?: boolean;
  /** How `commit` was found when it was not read at run time. */
  commitNote?: string;
  machine?: Machine;
  command?: string;
  steps?: string[];
  callsPerFigure?: number;
  slowCallsPerFigure?: number;
  slowBudgetSeconds?: number;
  minutes?: number;
  runInfo?: Record<string, RunInfo>;
}

/** A tier's entry in bench/results.json. */
export interface TierEntry {
  /** By id: the run's start time (ISO), or UNKNOWN_RUN. */
  benchRuns: Record<string, BenchRun>;
  /** Per database, per figure: the latest measured value. */
  results: Record<string, Results>;
  /** Per database, per figure: the id of the run that measured it. */
  measuredIn: Record<string, Record<string, string>>;
  lastRun?: string;
  /** The tables the last run printed. */
  markdown?: string;
}

/** Figures written before runs were recorded: which run measured them is not known. */
export const UNKNOWN_RUN = 'unknown';

/**
 * A tier's entry as stored, in the current shape. An entry from before provenance (a flat
 * `results` beside one `at`) could hold figures merged from several partial runs, so its figures
 * are taken as carried over from a run of unknown date rather than dated by that `at`.
 */
export function readTierEntry(raw: unknown): TierEntry | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const e = raw as Partial<TierEntry> & { results?: Record<string, Results> };
  if (e.benchRuns && e.measuredIn && e.results) return e as TierEntry;
  const results = e.results ?? {};
  const measuredIn = Object.fromEntries(
    Object.entries(results).map(([d, r]) => [d, Object.fromEntries(Object.keys(r).map((k) => [k, UNKNOWN_RUN]))]),
  );
  return { benchRuns: { [UNKNOWN_RUN]: { at: null, commit: null } }, results, measuredIn };
}

/** `entry` with this run's figures over it; runs no figure names any more are dropped. */
export function recordRun(entry: TierEntry | undefined, id: string, run: BenchRun, fresh: Record<string, Results>): TierEntry {
  const results: Record<string, Results> = {};
  const measuredIn: Record<string, Record<string, string>> = {};
  for (const d of new Set([...Object.keys(entry?.results ?? {}), ...Object.keys(fresh)])) {
    results[d] = { ...entry?.results[d], ...fresh[d] };
    measuredIn[d] = { ...entry?.measuredIn[d], ...Object.fromEntries(Object.keys(fresh[d] ?? {}).map((k) => [k, id])) };
  }
  const named = new Set(Object.values(measuredIn).flatMap((m) => Object.values(m)));
  const benchRuns = Object.fromEntries(Object.entries({ ...entry?.benchRuns, [id]: run }).filter(([r]) => r === id || named.has(r)));
  return { benchRuns, results, measuredIn, lastRun: id };
}

// ---------------------------------------------------------------------------------------------
export const TILE_KEYS = ['grids_z12', 'grids_z14', 'buildings_z15', 'buildings_z16'] as const;
/** The browser step's figures (bench/browser.bench.ts). */
const BROWSER_ROWS: [string, string][] = [
  ['browserFirstColoured', 'browser: first fully coloured map (cold page, z11, 1920×1080)'],
  ['browserColoursApplied', 'browser: … of which until the colours were in feature-state'],
  ['browserMetricSwitch', 'browser: recolour after a metric switch (same view)'],
  ['browserMetricApplied', 'browser: … of which until the new colours were in feature-state'],
];
/** The load step's figures (bench/load.bench.ts). */
const LOAD_ROWS: [string, string][] = [
  ['load_p50', 'load run: p50 (ms)'],
  ['load_p95', 'load run: p95 (ms)'],
  ['load_p99', 'load run: p99 (ms)'],
  ['load_errors', 'load run: errors (sockets, timeouts, non-2xx)'],
  ['load_timeouts', 'load run: … of which no answer within 30 s'],
  ['load_status_504', 'load run: … of which 504 (request timeout)'],
  ['load_status_500', 'load run: … of which 500'],
  ['load_rps', 'load run: requests per second'],
  ['load_answers', 'load run: answers (2xx/304)'],
  ['load_stats_p95', 'load run: stats requests p95 (ms)'],
  ['load_stats_errors', 'load run: stats requests, errors'],
  ['load_tiles_p95', 'load run: tile requests p95 (ms)'],
  ['load_tiles_errors', 'load run: tile requests, errors'],
  ['load_detail_p95', 'load run: detail requests p95 (ms)'],
  ['load_detail_errors', 'load run: detail requests, errors'],
  ['load_prepare_ms', 'load run: preparing (rollups for today, last closed month stored), ms'],
];
const ROWS: [string, string][] = [
  ['gridStatsOnTheFly', 'grid stats, on the fly (grid_stats)'],
  ['gridStatsRollup', 'grid stats, rollup (grid_stats_rollup)'],
  ['gridRollupBareSelect', 'bare SELECT of minqing.grid_rollup'],
  ['gridStatsApi', 'GET /api/stats/grids (today, rollup)'],
  ['gridStatsApi304', 'GET /api/stats/grids, If-None-Match → 304'],
  ['gridStatsApiPastDate', 'GET /api/stats/grids?asOf=2026-06-29 (on the fly)'],
  ['monthSnapshotFill', 'month-end snapshot fill, 2026-06-30 (nightly job, as owner)'],
  ['gridStatsApiMonthEnd', 'GET /api/stats/grids?asOf=2026-06-30 (month-end snapshot)'],
  ['rebuild', 'full rollup rebuild'],
  ['rebuildSettleMs', '… then VACUUM (ANALYZE) of the rollup tables, once (ms)'],
  ...TILE_KEYS.flatMap((k): [string, string][] => [
    [`tile_${k}_rawSql`, `tile ${k.replace('_', ' ')} busiest: raw SQL`],
    [`tile_${k}_apiCold`, `tile ${k.replace('_', ' ')} busiest: API, cold`],
    [`tile_${k}_apiCached`, `tile ${k.replace('_', ' ')} busiest: API, cached`],
  ]),
  ['visitInsertMaintained', 'one visit INSERT, rollups maintained'],
  ['visitInsertUnmaintained', 'one visit INSERT, no rollup maintenance'],
  ['bulk2000Maintained', '2,000 visits in one INSERT, maintained'],
  ['bulk2000Unmaintained', '2,000 visits in one INSERT, not maintained'],
  ['visitPost', 'POST /api/visits (one visit, grid member)'],
  ['liveRecolour', 'POST /api/visits → change event → GET stats'],
  ['livePostMs', '… of which the POST (median, ms)'],
  ['liveEventMs', '… of which commit → change event (median, ms)'],
  ['liveRefetchMs', '… of which the stats refetch (median, ms)'],
  ...BROWSER_ROWS,
  ...LOAD_ROWS,
];

export const ms = (x: number) => `${x < 10 ? x.toFixed(2) : x.toFixed(0)} ms`;
const isFigure = (x: unknown): x is Figure => typeof x === 'object' && x !== null && 'median' in x;
export const fig = (x: Value | undefined) => {
  if (x === undefined) return '–';
  if (typeof x === 'number') return String(x);
  const errs = x.errors ? ` (**${x.errors} error${x.errors > 1 ? 's' : ''}**: ${x.error})` : '';
  return x.runs === 0
    ? `**failed**${errs}`
    : `${ms(x.median)} / ${ms(x.p95)}${x.runs < 3 ? ` (${x.runs} run${x.runs > 1 ? 's' : ''})` : ''}${errs}`;
};
const num = (v: number) => (Number.isInteger(v) ? String(v) : Math.abs(v) < 10 ? v.toFixed(2) : v.toFixed(0));

/**
 * How far one figure's calls spread around its median: half their range. Figures stored before
 * `min`/`max` were have only the p95, which at the few calls of a noisy figure is the slowest one:
 * p95 − median, the slow side, stands in.
 */
const halfRange = (f: Figure) => (f.min !== undefined && f.max !== undefined ? (f.max - f.min) / 2 : f.p95 - f.median);

/**
 * `a` − `b` by medians, with the spread the two figures' own spreads allow (their sum). When the
 * spread is as large as the difference, the calls of the two overlap: the difference is noise at
 * this size, whatever its sign.
 */
export function noisyDifference(a: Figure, b: Figure): { value: number; spread: number; resolved: boolean } {
  const value = a.median - b.median;
  const spread = halfRange(a) + halfRange(b);
  return { value, spread, resolved: value > spread };
}

/** A number derived from figures, with the runs that measured them. */
interface Derived {
  value: number;
  spread?: number;
  runs: string[];
}

export interface ReportInput {
  tier: string;
  entry: TierEntry;
  /** This run's id in `entry.benchRuns`. */
  current: string;
  /** Show figures carried over from earlier runs, each marked; otherwise leave them out. */
  includePrevious: boolean;
  /** The bench's steps in order, and those this run made. */
  allSteps: readonly string[];
  steps: readonly string[];
  /** Lines after the run table (why a database was not measured). */
  notes?: string[];
}

const dbName = (d: string) => (d === 'pglite' ? 'PGlite (embedded)' : 'PostgreSQL');
const day = (at: string | null) => at?.slice(0, 10) ?? 'date unknown';
const short = (commit: string | null) => commit?.slice(0, 7) ?? 'unknown';

/** The markdown the bench prints for one run. */
export function renderReport(input: ReportInput): string {
  const { entry, current } = input;
  const run = entry.benchRuns[current] ?? { at: null, commit: null };
  const here = run.machine;
  const runOf = (d: string, k: string) => entry.measuredIn[d]?.[k] ?? UNKNOWN_RUN;
  /** A figure as this report shows it: this run's, or a carried-over one when they are included. */
  const shown = (d: string, k: string): { v: Value; run: string } | undefined => {
    const v = entry.results[d]?.[k];
    if (v === undefined) return undefined;
    const r = runOf(d, k);
    return r === current || input.includePrevious ? { v, run: r } : undefined;
  };
  const mark = (runs: string[]) => {
    const earlier = [...new Set(runs)].filter((r) => r !== current);
    return earlier
      .map((r) => {
        const b = entry.benchRuns[r];
        if (r === UNKNOWN_RUN || !b || (b.at === null && b.commit === null)) return ' (carried over, date unknown)';
        const m = b.machine;
        const elsewhere = m && here && (m.nproc !== here.nproc || m.cpuModel !== here.cpuModel) ? `, on ${m.nproc} × ${m.cpuModel}` : '';
        return ` (earlier run ${day(b.at)}, commit ${short(b.commit)}${b.dirty ? ' with uncommitted changes' : ''}${elsewhere})`;
      })
      .join('');
  };
  const figureOf = (d: string, k: string) => {
    const s = shown(d, k);
    return s && isFigure(s.v) && s.v.runs > 0 ? { f: s.v, run: s.run } : undefined;
  };
  const med = (d: string, k: string): Derived | undefined => {
    const s = figureOf(d, k);
    return s && { value: s.f.median, runs: [s.run] };
  };
  const p95 = (d: string, k: string): Derived | undefined => {
    const s = figureOf(d, k);
    return s && { value: s.f.p95, runs: [s.run] };
  };
  const count = (d: string, k: string): Derived | undefined => {
    const s = shown(d, k);
    return s && typeof s.v === 'number' ? { value: s.v, runs: [s.run] } : undefined;
  };
  const quotient = (a?: Derived, b?: Derived): Derived | undefined =>
    a && b && a.value && b.value ? { value: a.value / b.value, runs: [...a.runs, ...b.runs] } : undefined;
  const ratio = (x?: Derived) => (x === undefined ? '–' : `${x.value.toFixed(x.value < 10 ? 2 : 0)}×${mark(x.runs)}`);
  /** Rollup maintenance per visit in bulk, µs: the 2,000-visit INSERT maintained minus not, per visit. */
  const maintenanceUs = (d: string): Derived | undefined => {
    const a = figureOf(d, 'bulk2000Maintained'),
      b = figureOf(d, 'bulk2000Unmaintained');
    if (!a || !b) return undefined;
    const diff = noisyDifference(a.f, b.f);
    const perVisitUs = (x: number) => (x / 2000) * 1000;
    return { value: perVisitUs(diff.value), spread: perVisitUs(diff.spread), runs: [a.run, b.run] };
  };
  const unresolved = (x: Derived) => x.spread !== undefined && x.value <= x.spread;
  const withSpread = (x: Derived, unit: string) =>
    `${num(x.value)}${x.spread !== undefined ? ` ± ${num(x.spread)}` : ''}${unit ? ` ${unit}` : ''}`;

  const order = (d: string) => (d === 'pglite' ? 0 : 1);
  const dbs = Object.keys(entry.results)
    .filter((d) => Object.keys(entry.results[d]!).some((k) => shown(d, k)))
    .sort((a, b) => order(a) - order(b));
  const hidden = input.includePrevious
    ? 0
    : Object.keys(entry.results).reduce((n, d) => n + Object.keys(entry.results[d]!).filter((k) => runOf(d, k) !== current).length, 0);
  const lines: string[] = [];
  const sizeDb = dbs.find((d) => shown(d, 'grids'));
  const size = (k: string) => {
    const s = sizeDb === undefined ? undefined : shown(sizeDb, k);
    return s === undefined ? '?' : `${fig(s.v)}${mark([s.run])}`;
  };
  lines.push(
    `### Tier \`${input.tier}\`: ${size('grids')} grids, ${size('buildings')} buildings, ${size('households')} households, ${size('visits')} visits`,
  );
  const calls =
    run.callsPerFigure === undefined
      ? ''
      : `; ${run.callsPerFigure} runs (slow paths ${run.slowCallsPerFigure}${run.slowBudgetSeconds ? `, at most ${run.slowBudgetSeconds} s each` : ''}), median / p95; an error is never a sample`;
  lines.push(
    `This run: ${day(run.at)} ${run.at?.slice(11, 16) ?? ''} UTC, commit ${short(run.commit)}${run.dirty ? ' with uncommitted changes' : ''}${here ? `, ${here.nproc} × ${here.cpuModel}, ${here.memGB} GB, Node ${here.node}; load average at the end ${here.loadavg?.map((x) => x.toFixed(1)).join(' / ')} (1 / 5 / 15 min)` : ''}${calls}`,
  );
  lines.push(
    input.includePrevious
      ? 'Figures without a mark were measured in this run; a marked one was carried over from bench/results.json, measured by the run it names.'
      : `Every figure below was measured in this run${hidden > 0 ? `; ${hidden} figure${hidden > 1 ? 's' : ''} in bench/results.json from earlier runs left out (\`--include-previous\` shows them, marked)` : ''}.`,
  );
  lines.push('');
  if (dbs.length > 0) {
    const both = dbs.length > 1;
    lines.push(`| measurement | ${dbs.map(dbName).join(' | ')} |${both ? ' PostgreSQL ÷ embedded |' : ''}`);
    lines.push(`|---|${dbs.map(() => '---').join('|')}|${both ? '---|' : ''}`);
    for (const [k, label] of ROWS) {
      if (dbs.every((d) => !shown(d, k))) continue;
      const cells = dbs.map((d) => {
        const s = shown(d, k);
        return s ? `${fig(s.v)}${mark([s.run])}` : '–';
      });
      lines.push(`| ${label} | ${cells.join(' | ')} |${both ? ` ${ratio(quotient(med('postgres', k), med('pglite', k)))} |` : ''}`);
    }
    lines.push('');
    lines.push(`| ratio (medians, same run unless marked) | ${dbs.join(' | ')} |`);
    lines.push(`|---|${dbs.map(() => '---').join('|')}|`);
    const ratios: [string, (d: string) => string][] = [
      ['on-the-fly ÷ rollup (grid stats speed-up)', (d) => ratio(quotient(med(d, 'gridStatsOnTheFly'), med(d, 'gridStatsRollup')))],
      ['API ÷ bare SELECT (API overhead)', (d) => ratio(quotient(med(d, 'gridStatsApi'), med(d, 'gridRollupBareSelect')))],
      [
        'tile API cold ÷ raw SQL, buildings z15',
        (d) => ratio(quotient(med(d, 'tile_buildings_z15_apiCold'), med(d, 'tile_buildings_z15_rawSql'))),
      ],
      [
        'tile API cold ÷ cached, buildings z15',
        (d) => ratio(quotient(med(d, 'tile_buildings_z15_apiCold'), med(d, 'tile_buildings_z15_apiCached'))),
      ],
      ['tile API cold ÷ raw SQL, grids z12', (d) => ratio(quotient(med(d, 'tile_grids_z12_apiCold'), med(d, 'tile_grids_z12_rawSql')))],
      [
        'rollup maintenance per visit in bulk (µs), ± spread',
        (d) => {
          const u = maintenanceUs(d);
          if (u === undefined) return '–';
          return unresolved(u)
            ? `not resolved at this size (spread ±${num(u.spread!)} µs)${mark(u.runs)}`
            : `${withSpread(u, 'µs')}${mark(u.runs)}`;
        },
      ],
    ];
    for (const [label, f] of ratios) {
      const cells = dbs.map(f);
      if (cells.some((c) => c !== '–')) lines.push(`| ${label} | ${cells.join(' | ')} |`);
    }
    const tileSizes = dbs
      .map((d) => {
        const parts = TILE_KEYS.map((k) => {
          const b = shown(d, `tile_${k}_bytes`),
            n = shown(d, `tile_${k}_shapes`);
          return b && n ? `${k} ${fig(b.v)} B (${fig(n.v)} shapes)${mark([b.run])}` : undefined;
        });
        return parts.every((p) => p !== undefined) ? `${dbName(d)}: ${parts.join(', ')}` : undefined;
      })
      .filter((x) => x !== undefined);
    if (tileSizes.length > 0) lines.push('', `Tile sizes (busiest tile, bytes): ${tileSizes.join('; ')}`);

    // The issue's targets: met, or missed by how much (measured ÷ target). A figure with a spread
    // is met only when all of its spread is within the target, and missed only when none is.
    const worst = (d: string, suffix: string): Derived | undefined => {
      const xs = TILE_KEYS.map((k) => p95(d, `tile_${k}_${suffix}`));
      return xs.every((x) => x !== undefined)
        ? { value: Math.max(...xs.map((x) => x!.value)), runs: xs.flatMap((x) => x!.runs) }
        : undefined;
    };
    const largestTileKB = (d: string): Derived | undefined => {
      const xs = TILE_KEYS.map((k) => count(d, `tile_${k}_bytes`));
      return xs.every((x) => x !== undefined)
        ? { value: Math.max(...xs.map((x) => x!.value)) / 1024, runs: xs.flatMap((x) => x!.runs) }
        : undefined;
    };
    /** [label, value, target, unit, target scale per database: negative when higher is better] */
    type Check = [string, (d: string) => Derived | undefined, number, string, (d: string) => number, string[]];
    const CHECKS: Check[] = [
      ['all-grid stats, API p95', (d) => p95(d, 'gridStatsApi'), 30, 'ms', () => 1, ['gridStatsApi']],
      ['all-grid stats, rollup SQL p95', (d) => p95(d, 'gridStatsRollup'), 30, 'ms', () => 1, ['gridStatsRollup']],
      [
        'on-the-fly ÷ rollup ≥ 100×',
        (d) => quotient(med(d, 'gridStatsOnTheFly'), med(d, 'gridStatsRollup')),
        100,
        '×',
        () => -1,
        ['gridStatsOnTheFly', 'gridStatsRollup'],
      ],
      [
        'API ÷ bare SELECT ≤ 2×',
        (d) => quotient(med(d, 'gridStatsApi'), med(d, 'gridRollupBareSelect')),
        2,
        '×',
        () => 1,
        ['gridStatsApi', 'gridRollupBareSelect'],
      ],
      [
        'uncached tile p95 (worst busiest tile)',
        (d) => worst(d, 'apiCold'),
        50,
        'ms',
        (d) => (d === 'pglite' ? 4 : 1),
        TILE_KEYS.map((k) => `tile_${k}_apiCold`),
      ],
      ['cached tile p95 (worst)', (d) => worst(d, 'apiCached'), 5, 'ms', () => 1, TILE_KEYS.map((k) => `tile_${k}_apiCached`)],
      ['largest tile', largestTileKB, 500, 'KB', () => 1, TILE_KEYS.map((k) => `tile_${k}_bytes`)],
      ['rollup maintenance per visit in bulk', maintenanceUs, 50, 'µs', () => 1, ['bulk2000Maintained', 'bulk2000Unmaintained']],
      ['single visit POST p95', (d) => p95(d, 'visitPost'), 20, 'ms', () => 1, ['visitPost']],
      ['first coloured map, p95', (d) => p95(d, 'browserFirstColoured'), 2000, 'ms', () => 1, ['browserFirstColoured']],
      ['metric switch, p95', (d) => p95(d, 'browserMetricSwitch'), 100, 'ms', () => 1, ['browserMetricSwitch']],
      ['load run p95', (d) => count(d, 'load_p95'), 200, 'ms', () => 1, ['load_p95']],
      ['load run errors', (d) => count(d, 'load_errors'), 0, '', () => 1, ['load_errors']],
    ];
    lines.push('');
    lines.push(`| target (issue #9; embedded's own where it has one) | ${dbs.map(dbName).join(' | ')} |`);
    lines.push(`|---|${dbs.map(() => '---').join('|')}|`);
    for (const [label, value, target, unit, scale, keys] of CHECKS) {
      lines.push(
        `| ${unit === '×' ? label : `${label} ≤ ${target} ${unit}`.trim()} | ${dbs
          .map((d) => {
            const v = value(d);
            if (v === undefined)
              return keys.some((k) => entry.results[d]?.[k] !== undefined) && !input.includePrevious
                ? 'not measured in this run'
                : 'not measured';
            const lowerIsBetter = scale(d) > 0;
            const t = target * Math.abs(scale(d));
            const own = t !== target ? `; target ${t} ${unit}` : '';
            const shownValue = unit === '×' ? `${num(v.value)}×` : withSpread(v, unit);
            if (unresolved(v)) return `not resolved at this size (spread ±${num(v.spread!)} ${unit})${mark(v.runs)}`;
            const spread = v.spread ?? 0;
            const [best, worstCase] = lowerIsBetter ? [v.value - spread, v.value + spread] : [v.value + spread, v.value - spread];
            const within = (x: number) => (lowerIsBetter ? x <= t : x >= t);
            if (within(worstCase)) return `met (${shownValue}${own})${mark(v.runs)}`;
            if (!within(best)) {
              const by = t === 0 ? '' : ` by ${(lowerIsBetter ? v.value / t : t / v.value).toFixed(1)}×`;
              return `**missed${by}** (${shownValue}${own})${mark(v.runs)}`;
            }
            return `not decided: the spread straddles the target (${shownValue}${own})${mark(v.runs)}`;
          })
          .join(' | ')} |`,
      );
    }
  }

  const infos = run.runInfo ?? {};
  const attempted = Object.keys(infos);
  if (attempted.length > 0) {
    lines.push('');
    lines.push(`| this run | ${attempted.map(dbName).join(' | ')} |`);
    lines.push(`|---|${attempted.map(() => '---').join('|')}|`);
    const originOf = (d: string) => {
      const o = infos[d]!.origin;
      if (o.cacheHit === 'yes')
        return `cached (${o.cache}); ${o.migrationsApplied ?? 0} new migration(s)${o.refreshRebuildMs ? ` + rebuild ${(Number(o.refreshRebuildMs) / 1000).toFixed(0)} s` : ''}; copy for this run ${(Number(o.copyMs) / 1000).toFixed(0)} s`;
      if (o.cacheHit === 'no')
        return `**loaded** in ${(Number(o.loadMs) / 60000).toFixed(1)} min (insert ${(Number(o.loadInsertMs) / 60000).toFixed(1)} min, rollup rebuild ${(Number(o.loadRebuildMs) / 1000).toFixed(0)} s); copy for this run ${(Number(o.copyMs) / 1000).toFixed(0)} s`;
      return 'not opened';
    };
    lines.push(`| database | ${attempted.map(originOf).join(' | ')} |`);
    for (const s of input.allSteps) {
      if (!input.steps.includes(s)) continue;
      lines.push(
        `| step ${s} | ${attempted
          .map((d) => {
            const secs = infos[d]!.stepSeconds[s];
            const failed = infos[d]!.failures[s];
            return `${secs === undefined ? '–' : `${secs} s`}${failed ? ` **FAILED: ${failed}**` : ''}`;
          })
          .join(' | ')} |`,
      );
    }
    for (const d of attempted) if (infos[d]!.failures.open) lines.push('', `${dbName(d)} could not be opened: ${infos[d]!.failures.open}`);
  }
  for (const n of input.notes ?? []) lines.push('', n);
  return lines.join('\n');
}

import { relative } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The order test files start in. Vitest starts the files that took longest last time first, from
 * its results cache; a fresh clone (CI) has no cache, and then it keeps the glob's order, which
 * starts the browser suites and the crash suite, the longest files, last: the run then ends with
 * one worker still busy on them while the others idle. Without a cache, those start first.
 * Known to be the longest files, longest kind first (see the summary reporter's "Slowest files"):
 */
const LONG_FIRST = [/\.browser\.test\.ts$/, /\/tests\/db\/crash\.test\.ts$/, /\/tests\/api\/boundary-commit-api\.test\.ts$/];

class LongFilesFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const known = sorted.some((f) => this.ctx.cache.getFileTestResults(`${f.project.name}:${relative(this.ctx.config.root, f.moduleId)}`));
    if (known) return sorted;
    const rank = (f: TestSpecification) => {
      const i = LONG_FIRST.findIndex((pattern) => pattern.test(f.moduleId));
      return i === -1 ? LONG_FIRST.length : i;
    };
    return sorted
      .map((f, i) => ({ f, i }))
      .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
      .map(({ f }) => f);
  }
}

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/support/global-setup.ts'],
    // Three files at a time on 2 cores: much of a file's time is spent waiting on the PostgreSQL
    // server or on Chromium, which are other processes (a run used ~1.2 of 2 cores with two).
    pool: 'forks',
    maxWorkers: 3,
    // A worker runs its files one after another in one module graph: the API, PGlite's compiled
    // WebAssembly and Playwright are imported once per worker, not once per file (import time
    // 85 s → 21 s over the suite, and a file's embedded database opens faster the second time).
    // Files share no state through modules: each builds its own app, database and browser.
    isolate: false,
    // A fresh clone has no durations cached: the longest files must not start last.
    sequence: { sequencer: LongFilesFirstSequencer },
    testTimeout: 60_000,
    hookTimeout: 240_000,
    reporters: ['default', './tests/support/summary-reporter.ts'],
  },
});

/**
 * The order test files start in. Vitest starts the files that took longest last time first, from
 * its results cache; a fresh clone (CI) has no cache, and then it keeps the glob's order, which
 * starts the browser suites and the crash suite, the longest files, last: the run then ends with
 * one worker still busy on them while the others idle. Without a cache, those start first.
 */
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Known to be the longest files, longest kind first (see the summary reporter's "Slowest files"). */
const LONG_FIRST = [/\.browser\.test\.ts$/, /\/tests\/db\/crash\.test\.ts$/, /\/tests\/api\/boundary-commit-api\.test\.ts$/];

export default class LongFilesFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const known = sorted.some((f) => this.ctx.cache.getFileTestResults(`${f.project.name}:${relative(this.ctx.config.root, f.moduleId)}`));
    if (known) return sorted;
    const rank = (f: TestSpecification) => {
      const i = LONG_FIRST.findIndex((pattern) => pattern.test(f.moduleId));
      return i === -1 ? LONG_FIRST.length : i;
    };
    return sorted.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(({ f }) => f);
  }
}

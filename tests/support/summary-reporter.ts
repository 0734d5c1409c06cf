/**
 * Prints one plain closing line, `Tests: N passed, N failed, N skipped`, that any CI log reader
 * understands, after Vitest's own summary.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed++;
        else if (state === 'failed') counts.failed++;
        else counts.skipped++;
      }
      // A file that failed to load has no tests but is a failure all the same.
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) counts.failed++;
    }
    // Where the time goes, slowest first: `npm test` must stay under 10 minutes on 2 cores.
    const slowest = [...testModules]
      .map((m) => ({ file: m.moduleId.replace(/^.*?\/tests\//, 'tests/'), ms: m.diagnostic().duration }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 10);
    process.stdout.write(`\nSlowest files: ${slowest.map((m) => `${m.file} ${(m.ms / 1000).toFixed(0)} s`).join(', ')}\n`);
    process.stdout.write(`\nTests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}

import { defineConfig } from 'vitest/config';
import LongFilesFirstSequencer from './tests/support/long-files-first.sequencer';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/support/global-setup.ts'],
    // Three files at a time on 2 cores: much of a file's time is spent waiting on the PostgreSQL
    // server or on Chromium, which are other processes (a run used ~1.2 of 2 cores with two).
    pool: 'forks',
    maxWorkers: 3,
    // A fresh clone has no durations cached: the longest files must not start last.
    sequence: { sequencer: LongFilesFirstSequencer },
    testTimeout: 60_000,
    hookTimeout: 240_000,
    reporters: ['default', './tests/support/summary-reporter.ts'],
  },
});

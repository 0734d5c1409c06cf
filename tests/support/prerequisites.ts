/**
 * Suites that need something outside npm (a PostgreSQL server, Chromium, poppler) declare it here.
 * On a developer's machine a missing prerequisite skips the suite with a printed reason; with
 * CI=true it fails, because a suite that silently did not run proves nothing.
 */
import fs from 'node:fs';
import { describe, it } from 'vitest';
import { readEnv } from '../../api/env';

const env = readEnv();

export interface Prerequisite {
  ok: boolean;
  reason: string;
}

export function postgresPrerequisite(): Prerequisite & { url?: string } {
  return env.databaseUrl
    ? { ok: true, reason: '', url: env.databaseUrl }
    : { ok: false, reason: 'DATABASE_URL is not set (a PostgreSQL ≥ 15 with PostGIS; .ci/run starts one)' };
}

export const CHROMIUM_PATH = '/usr/bin/chromium';
export function chromiumPrerequisite(): Prerequisite {
  return fs.existsSync(CHROMIUM_PATH)
    ? { ok: true, reason: '' }
    : { ok: false, reason: `${CHROMIUM_PATH} is missing (apt-get install chromium)` };
}

/** poppler-utils' pdftoppm and pdftotext, to render and read PDFs the product makes. */
export function popplerPrerequisite(): Prerequisite {
  return fs.existsSync('/usr/bin/pdftoppm') && fs.existsSync('/usr/bin/pdftotext')
    ? { ok: true, reason: '' }
    : { ok: false, reason: 'pdftoppm/pdftotext are missing (apt-get install poppler-utils)' };
}

/** describe() that skips locally and fails in CI when its prerequisite is missing. */
export function describeWith(prereq: Prerequisite, name: string, body: () => void): void {
  if (prereq.ok) {
    describe(name, body);
    return;
  }
  if (env.ci) {
    describe(name, () => {
      it('has its prerequisite', () => {
        throw new Error(`CI=true and this suite cannot run: ${prereq.reason}`);
      });
    });
    return;
  }
  console.warn(`[skipped] ${name}: ${prereq.reason}`);
  describe.skip(name, body);
}

/**
 * The error-code catalogue is the closed set the API answers with: the compiler keeps every
 * ApiError inside it; this keeps the list itself honest — each code once, in the API's spelling,
 * and each still answered by something (a code nobody answers is one clients match on for nothing).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_ERROR_CODES, isApiErrorCode } from '../../geo/errors/api-error-codes';

const root = path.resolve(__dirname, '../..');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

describe('API error codes', () => {
  it('lists each code once, in snake_case', () => {
    expect(new Set(API_ERROR_CODES).size).toBe(API_ERROR_CODES.length);
    for (const code of API_ERROR_CODES) expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
  });

  it('lists only codes that the API or the domain rules it answers with still produce', () => {
    const catalogue = path.join(root, 'geo/errors/api-error-codes.ts');
    const text = [...sources(path.join(root, 'api')), ...sources(path.join(root, 'geo'))]
      .filter((f) => f !== catalogue)
      .map((f) => fs.readFileSync(f, 'utf8'))
      .join('\n');
    const unused = API_ERROR_CODES.filter((code) => !text.includes(`'${code}'`));
    expect(unused).toEqual([]);
  });

  it('tells our codes from others', () => {
    expect(isApiErrorCode('stale_version')).toBe(true);
    expect(isApiErrorCode('something_else')).toBe(false);
  });
});

/**
 * The wizard's import problems and errors in the user's language (geo/import/problem-text.ts):
 * every problem code and every import error code has its text in zh-CN, zh-TW and English, the
 * three name the same values, real problems from the ledger validator fill them completely, and
 * anything this client cannot say falls back to the server's message. A grid code or name
 * refusal of PATCH /api/grids/:id has its text too.
 */
import { describe, expect, it } from 'vitest';
import { STRINGS } from '../../geo/i18n/all-locales';
import { LOCALES, type StringKey } from '../../geo/i18n/strings';
import { GRID_CODE_REASON } from '../../geo/import/grid-code';
import { validateLedgerRow } from '../../geo/import/household-ledger.validation';
import { IMPORT_PROBLEM_CODES, type ImportProblem } from '../../geo/import/import-problems';
import { IMPORT_ERROR_CODES, importErrorText, problemText, problemTextKeys } from '../../geo/import/problem-text';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

const hasText = (key: string) => {
  for (const locale of LOCALES) {
    const text = (STRINGS[locale] as Record<string, string>)[key];
    expect(text, `${key} in ${locale}`).toBeTypeOf('string');
    expect(text!.trim().length, `${key} in ${locale}`).toBeGreaterThan(0);
  }
  // The same values in every language: a translation naming one the others do not would fall back.
  const [first, ...rest] = LOCALES.map((l) => placeholders((STRINGS[l] as Record<string, string>)[key]!));
  for (const p of rest) expect(p, key).toEqual(first);
};

describe('import problem texts', () => {
  it('every problem code has a sentence in all three languages, with the same values in each', () => {
    expect(IMPORT_PROBLEM_CODES.length).toBeGreaterThan(20);
    for (const code of IMPORT_PROBLEM_CODES) {
      const keys = problemTextKeys(code);
      expect(keys.length, code).toBeGreaterThan(0);
      for (const key of keys) hasText(key);
    }
  });

  it('every error code an import request answers with has a sentence in all three languages', () => {
    for (const code of IMPORT_ERROR_CODES) hasText(`importErr_${code}`);
  });

  it('fills real ledger problems completely, in each language, with row and values', () => {
    const mapping = {
      headName: '户主姓名',
      room: '房号',
      address: '地址',
      idNumber: '身份证号',
      phone: '联系电话',
      categories: '类别',
      members: '人口数',
      movedIn: '入住日期',
    };
    const { problems } = validateLedgerRow(
      {
        户主姓名: '',
        房号: '',
        地址: '',
        身份证号: '36010219800101123X',
        联系电话: '12345',
        类别: '外星人',
        人口数: '0',
        入住日期: '2024-13-45',
      },
      7,
      mapping,
    );
    expect(new Set(problems.map((p) => p.code))).toEqual(
      new Set(['missing_value', 'invalid_id_number', 'invalid_phone', 'unknown_category', 'invalid_members', 'invalid_date']),
    );
    for (const p of problems) {
      const zh = problemText('zh-CN', p);
      expect(zh, p.message).not.toBe(p.message);
      expect(zh).toMatch(/^第 7 行：/);
      expect(zh).not.toMatch(/[{}]/);
      expect(problemText('zh-TW', p)).toMatch(/^第 7 列：|^第 7 行：/);
      expect(problemText('en', p)).toMatch(/^Row 7: /);
    }
    const byCode = (code: string) => problems.find((p) => p.code === code)!;
    expect(problemText('zh-CN', byCode('invalid_date'))).toContain('“2024-13-45”');
    expect(problemText('zh-CN', byCode('unknown_category'))).toContain('外星人');
    expect(problemText('zh-CN', problems.find((p) => p.details?.field === 'headName')!)).toContain('“户主姓名”（户主姓名）');
    expect(problemText('en', problems.find((p) => p.details?.field === 'room')!)).toBe('Row 7: "房号" (room) is empty; fill it in.');
  });

  it('names features, variants and areas as the server reported them', () => {
    const feature = (code: ImportProblem['code'], details: Record<string, unknown>, featureIndex = 12): ImportProblem => ({
      code,
      severity: 'warning',
      message: 'server words',
      featureIndex,
      details,
    });
    expect(problemText('zh-CN', feature('duplicate_geometry', { existingId: 345 }))).toBe('要素 12：此轮廓已是楼栋 345，保持不变。');
    expect(problemText('zh-CN', feature('duplicate_geometry', { duplicateOf: 3 }))).toBe('要素 12：与要素 3 的轮廓相同，只导入前一个。');
    expect(problemText('en', feature('missing_field', { field: 'code', generated: '360102001002004' }))).toContain('360102001002004');
    expect(problemText('zh-CN', feature('building_crosses_grids', { gridId: 4, gridCode: '360102001002004', share: 0.614 }))).toContain(
      '61% 在网格 360102001002004 内',
    );
    expect(problemText('zh-CN', feature('grid_overlap', { otherFeatureIndex: 2, areaM2: 1234.56 }))).toContain('重叠 1,235 平方米');
    expect(problemText('en', { code: 'grid_gap', severity: 'warning', message: 'x', details: { areaM2: 80.2, parts: 2 } })).toMatch(
      /^80 m² of your community \(2 piece/,
    );
    expect(
      problemText('zh-CN', {
        code: 'missing_column',
        severity: 'error',
        row: 1,
        message: 'x',
        details: { fields: ['headName', 'address'], headers: ['姓名1', '电话'] },
      }),
    ).toBe('表头（第 1 行）缺少以下列：户主姓名、地址。请修改列名，或在“字段对应”中指定。现有列：姓名1、电话。');
  });

  it('falls back to the server’s message for an unknown code or a value the server did not send', () => {
    expect(problemText('zh-CN', { code: 'brand_new_check' as never, severity: 'error', message: 'Row 3: something new.', row: 3 })).toBe(
      'Row 3: something new.',
    );
    // duplicate_code names the code; a server that did not send it gets its own words shown.
    expect(
      problemText('zh-CN', {
        code: 'duplicate_code',
        severity: 'error',
        message: 'Feature 2: the code …',
        featureIndex: 2,
        details: { duplicateOf: 1 },
      }),
    ).toBe('Feature 2: the code …');
    expect(importErrorText('zh-CN', { code: 'teapot', message: 'I am a teapot' })).toEqual({ text: 'I am a teapot', detail: null });
  });

  it('says an upload over the limit and an unreadable file in the user’s language, keeping the server’s specifics as the detail', () => {
    const big = importErrorText('zh-CN', {
      code: 'payload_too_large',
      message: 'The file is larger than the import limit of 50 MB; …',
      details: { limitBytes: 50 * 1024 * 1024 },
    });
    expect(big).toEqual({ text: '文件超过导入上限 50 MB：请拆分（例如每个社区一个文件），或请管理员调高上限。', detail: null });
    const unreadable = importErrorText('zh-TW', {
      code: 'unreadable_file',
      message: 'x.zip is named as a zipped Shapefile but its content is a PNG image; …',
    });
    expect(unreadable.text).toMatch(/^無法讀取此檔案/);
    expect(unreadable.detail).toContain('PNG');
  });

  it('has the texts of the grid code and name editor, and of every history kind', () => {
    for (const reason of Object.values(GRID_CODE_REASON)) hasText(`gridLabel_reason_${reason}`);
    for (const key of [
      'gridLabel_codeTaken',
      'gridLabel_codeTakenElsewhere',
      'gridLabel_nameTaken',
      'gridLabel_stale',
      'gridLabel_forbidden',
      'gridLabel_retired',
      'gridLabel_hintStandard',
      'gridLabel_hintOwn',
    ])
      hasText(key);
    for (const kind of ['created', 'redrawn', 'split', 'merged', 'reverted', 'imported', 'edited', 'recoded', 'renamed'])
      hasText(`history_kind_${kind}` as StringKey);
  });
});

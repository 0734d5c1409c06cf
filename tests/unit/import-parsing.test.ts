/**
 * The pure parts of imports (geo/import): GCJ-02, coordinate-system guesses, CSV and GBK,
 * header and category mapping, ledger rows, outlines the database can parse, and grid codes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CRS_GUESS, extentOf, guessCrs, prjIsGeographic, prjName } from '../../geo/import/crs.detect';
import { decodeText, parseCsv } from '../../geo/import/csv.parse';
import { featurePolygons, POLYGON_DEFECT } from '../../geo/import/feature-polygons';
import { guessFeatureMapping, guessLedgerMapping, mapCategoryLabels } from '../../geo/import/field-mapping';
import { gcj02ToWgs84, outOfChina, wgs84ToGcj02 } from '../../geo/import/gcj02';
import { GRID_CODE_REASON, generateGridCodes, validateGridCode } from '../../geo/import/grid-code';
import {
  isValidIdNumber,
  isValidPhone,
  normaliseAddress,
  parseLedgerDate,
  validateLedgerRow,
} from '../../geo/import/household-ledger.validation';
import { IMPORT_PROBLEM, type ImportProblem, MAX_LISTED_PER_CODE, summariseProblems } from '../../geo/import/import-problems';
import { problemPreview } from '../../geo/import/problem-preview';

const metres = (a: readonly number[], b: readonly number[]) =>
  Math.hypot((a[0]! - b[0]!) * 111320 * Math.cos((a[1]! * Math.PI) / 180), (a[1]! - b[1]!) * 110540);

describe('GCJ-02', () => {
  it('matches the published reference point (eviltransform: WGS84 39.915, 116.404)', () => {
    const [lon, lat] = wgs84ToGcj02([116.404, 39.915]);
    expect(lon).toBeCloseTo(116.41024449916938, 9);
    expect(lat).toBeCloseTo(39.91640428150164, 9);
  });

  it('round-trips anywhere in China to under a millimetre, and the offset is hundreds of metres', () => {
    fc.assert(
      fc.property(fc.double({ min: 74, max: 134, noNaN: true }), fc.double({ min: 19, max: 53, noNaN: true }), (lon, lat) => {
        const g = wgs84ToGcj02([lon, lat]);
        const back = gcj02ToWgs84(g);
        expect(metres(back, [lon, lat])).toBeLessThan(0.001);
        const offset = metres(g, [lon, lat]);
        expect(offset).toBeGreaterThan(1);
        expect(offset).toBeLessThan(1000);
      }),
    );
  });

  it('leaves coordinates outside China alone', () => {
    expect(outOfChina(7.42, 43.73)).toBe(true);
    expect(wgs84ToGcj02([7.42, 43.73])).toEqual([7.42, 43.73]);
    expect(gcj02ToWgs84([7.42, 43.73])).toEqual([7.42, 43.73]);
  });
});

describe('coordinate systems', () => {
  it('tells lon/lat, swapped lat/lon and projected metres apart', () => {
    expect(
      guessCrs(
        extentOf([
          [115.9, 28.6],
          [115.93, 28.64],
        ]),
      ),
    ).toBe(CRS_GUESS.WGS84);
    expect(
      guessCrs(
        extentOf([
          [7.41, 43.72],
          [7.44, 43.75],
        ]),
      ),
    ).toBe(CRS_GUESS.WGS84);
    expect(
      guessCrs(
        extentOf([
          [28.6, 115.9],
          [28.64, 115.93],
        ]),
      ),
    ).toBe(CRS_GUESS.SWAPPED);
    expect(guessCrs(extentOf([[39.9, 86.4]]))).toBe(CRS_GUESS.SWAPPED); // Ürümqi latitude-first: both in range
    expect(
      guessCrs(
        extentOf([
          [500000, 3170000],
          [500100, 3170100],
        ]),
      ),
    ).toBe(CRS_GUESS.PROJECTED_UNKNOWN);
    expect(guessCrs(extentOf([]))).toBe(CRS_GUESS.EMPTY);
  });

  it('reads the name of a .prj and whether it is projected', () => {
    const utm = 'PROJCS["WGS_1984_UTM_Zone_32N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984"]]]';
    expect(prjName(utm)).toBe('WGS_1984_UTM_Zone_32N');
    expect(prjIsGeographic(utm)).toBe(false);
    expect(prjIsGeographic('GEOGCS["China Geodetic Coordinate System 2000",DATUM["D_China_2000"]]')).toBe(true);
  });
});

describe('CSV', () => {
  it('parses quoted cells with commas, doubled quotes and line breaks, CRLF, and a BOM', () => {
    const bytes = new TextEncoder().encode('\uFEFF姓名,备注\r\n"王,五","说""你好""\r\n第二行"\r\n\r\n李四,\r\n');
    const { text, encoding } = decodeText(bytes);
    expect(encoding).toBe('utf-8');
    expect(parseCsv(text)).toEqual([
      ['姓名', '备注'],
      ['王,五', '说"你好"\r\n第二行'],
      ['李四', ''],
    ]);
  });

  it('decodes GBK bytes (姓名,地址 as Excel saves them on a Chinese Windows)', () => {
    const gbk = new Uint8Array([0xd0, 0xd5, 0xc3, 0xfb, 0x2c, 0xb5, 0xd8, 0xd6, 0xb7, 0x0d, 0x0a]);
    const { text, encoding } = decodeText(gbk);
    expect(encoding).toBe('gbk');
    expect(parseCsv(text)).toEqual([['姓名', '地址']]);
  });

  it('uses semicolons or tabs when the header does', () => {
    expect(parseCsv('a;b\n1;2\n')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
    expect(parseCsv('a\tb\n1\t2')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });
});

describe('mapping', () => {
  it('guesses feature fields from Chinese, DBF-style and English property names', () => {
    expect(guessFeatureMapping(['OBJECTID', 'WGMC', 'WGBM'])).toEqual({ name: 'WGMC', code: 'WGBM' });
    expect(guessFeatureMapping(['网格名称', '网格编码', '地址'])).toEqual({ name: '网格名称', code: '网格编码', address: '地址' });
    expect(guessFeatureMapping(['osm_id', 'name', 'admin_level'])).toEqual({ name: 'name' });
  });

  it('guesses ledger columns from Chinese headers, each column used once', () => {
    expect(
      guessLedgerMapping([
        '序号',
        '户主姓名',
        '公民身份号码',
        '手机号码',
        '家庭住址',
        '楼栋',
        '单元',
        '房号',
        '人员类别',
        '家庭人口',
        '迁入日期',
      ]),
    ).toEqual({
      headName: '户主姓名',
      idNumber: '公民身份号码',
      phone: '手机号码',
      address: '家庭住址',
      building: '楼栋',
      unit: '单元',
      room: '房号',
      categories: '人员类别',
      members: '家庭人口',
      movedIn: '迁入日期',
    });
  });

  it('maps Chinese category labels and returns the unknown ones', () => {
    expect(mapCategoryLabels('低保、残疾；空巢老人 独居，社区矫正/流动人口')).toEqual({
      categories: ['low_income', 'disabled', 'empty_nest', 'lonely_elderly', 'community_correction', 'floating'],
      unknown: [],
    });
    expect(mapCategoryLabels('低保户,五保户,低保')).toEqual({ categories: ['low_income'], unknown: ['五保户'] });
    expect(mapCategoryLabels('五保户', { 五保户: 'difficult' })).toEqual({ categories: ['difficult'], unknown: [] });
  });
});

describe('ledger rows', () => {
  const mapping = {
    headName: '姓名',
    idNumber: '身份证号',
    phone: '电话',
    address: '地址',
    room: '房号',
    categories: '类别',
    members: '人数',
    movedIn: '入住',
  };

  it('checks the resident ID number by GB 11643 (birth date and check digit)', () => {
    expect(isValidIdNumber('11010519491231002X')).toBe(true); // the standard's own example
    expect(isValidIdNumber('110105194912310021')).toBe(false); // wrong check digit
    expect(isValidIdNumber('110105194902300025')).toBe(false); // 30 February
    expect(isValidIdNumber('1101051949123100')).toBe(false);
    // Every check character, from the standard's other form of the rule: (12 − Σ mod 11) mod 11, 10 → X.
    const W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 999999 }),
        fc.date({ min: new Date('1920-01-01'), max: new Date('2020-12-31'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 999 }),
        (area, born, seq) => {
          const body = `${String(area).padStart(6, '1')}${born.toISOString().slice(0, 10).replaceAll('-', '')}${String(seq).padStart(3, '0')}`;
          const c = (12 - (W.reduce((s, w, i) => s + w * Number(body[i]), 0) % 11)) % 11;
          const check = c === 10 ? 'X' : String(c);
          expect(isValidIdNumber(body + check)).toBe(true);
          expect(isValidIdNumber(body + (check === '0' ? '1' : '0'))).toBe(false);
        },
      ),
    );
  });

  it('accepts mobiles and landlines, not short numbers', () => {
    expect(isValidPhone('13907910001')).toBe(true);
    expect(isValidPhone('0791-86881234')).toBe(true);
    expect(isValidPhone('12345')).toBe(false);
    expect(isValidPhone('1290791000')).toBe(false);
  });

  it('reads dates as Excel and people write them', () => {
    expect(parseLedgerDate(new Date(Date.UTC(2020, 2, 1)))).toBe('2020-03-01');
    expect(parseLedgerDate(43891)).toBe('2020-03-01'); // Excel serial
    expect(parseLedgerDate('2019年5月6日')).toBe('2019-05-06');
    expect(parseLedgerDate('2019/13/01')).toBeNull();
  });

  it('returns the row as the schema wants it, or every problem with the row number', () => {
    const ok = validateLedgerRow(
      {
        姓名: ' 王建国 ',
        身份证号: '11010519491231002x',
        电话: '+86 139 0791 0001',
        地址: '建德观街49号1栋',
        房号: '101',
        类别: '低保',
        人数: '3',
        入住: '2020-03-01',
      },
      2,
      mapping,
    );
    expect(ok).toEqual({
      value: {
        row: 2,
        headName: '王建国',
        idNumber: '11010519491231002X',
        phone: '13907910001',
        address: '建德观街49号1栋',
        building: null,
        unit: null,
        room: '101',
        categories: ['low_income'],
        members: 3,
        movedIn: '2020-03-01',
      },
      problems: [],
    });
    const bad = validateLedgerRow(
      { 姓名: '', 身份证号: '110105194912310021', 电话: '12345', 地址: 'x', 房号: '', 类别: '外星人', 人数: '0', 入住: '昨天' },
      7,
      mapping,
    );
    expect(bad.value).toBeNull();
    expect(bad.problems.map((p) => [p.code, p.row, p.severity])).toEqual([
      [IMPORT_PROBLEM.MISSING_VALUE, 7, 'error'],
      [IMPORT_PROBLEM.MISSING_VALUE, 7, 'error'],
      [IMPORT_PROBLEM.INVALID_ID_NUMBER, 7, 'error'],
      [IMPORT_PROBLEM.INVALID_PHONE, 7, 'error'],
      [IMPORT_PROBLEM.UNKNOWN_CATEGORY, 7, 'warning'],
      [IMPORT_PROBLEM.INVALID_MEMBERS, 7, 'error'],
      [IMPORT_PROBLEM.INVALID_DATE, 7, 'error'],
    ]);
    // The message names the row; the ID number is not repeated whole.
    expect(bad.problems[2]!.message).toMatch(/^Row 7: /);
    expect(bad.problems[2]!.message).not.toContain('110105194912310021');
  });

  it('compares addresses loosely', () => {
    expect(normaliseAddress('建德观街４９号 1号楼')).toBe(normaliseAddress('建德观街49号1栋'));
  });
});

describe('outlines', () => {
  it('closes open rings, drops degenerate holes, refuses points and broken coordinates', () => {
    const r = featurePolygons({
      type: 'Polygon',
      coordinates: [
        [
          [0, 0, 5],
          [1, 0, 5],
          [1, 1, 5],
          [0, 1, 5],
        ],
        [
          [0.2, 0.2],
          [0.3, 0.3],
        ],
      ],
    });
    expect(r).toEqual({
      valid: true,
      geometry: {
        type: 'MultiPolygon',
        coordinates: [
          [
            [
              [0, 0],
              [1, 0],
              [1, 1],
              [0, 1],
              [0, 0],
            ],
          ],
        ],
      },
      repairs: ['closed an unclosed ring', 'closed an unclosed ring', 'dropped a hole with fewer than 3 corners'],
    });
    expect(featurePolygons({ type: 'Point', coordinates: [0, 0] })).toMatchObject({ valid: false, reason: POLYGON_DEFECT.NOT_AREAL });
    expect(featurePolygons(null)).toMatchObject({ valid: false, reason: POLYGON_DEFECT.NO_GEOMETRY });
    expect(
      featurePolygons({
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, Number.NaN],
            [1, 1],
            [0, 0],
          ],
        ],
      }),
    ).toMatchObject({ valid: false, reason: POLYGON_DEFECT.BAD_COORDINATE });
    expect(
      featurePolygons({
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 1],
            [0, 0],
          ],
        ],
      }),
    ).toMatchObject({ valid: false, reason: POLYGON_DEFECT.TOO_FEW_POSITIONS });
  });

  it('lists at most MAX_LISTED_PER_CODE problems of a code but counts them all', () => {
    const many = Array.from({ length: MAX_LISTED_PER_CODE + 7 }, (_, i) => ({
      code: IMPORT_PROBLEM.BUILDING_OUTSIDE_GRIDS,
      severity: 'error' as const,
      message: '',
      featureIndex: i,
    }));
    const { problems, problemCounts } = summariseProblems([
      ...many,
      { code: IMPORT_PROBLEM.NOT_POLYGON, severity: 'error', message: '', featureIndex: 0 },
    ]);
    expect(problems).toHaveLength(MAX_LISTED_PER_CODE + 1);
    expect(problemCounts).toEqual({ building_outside_grids: MAX_LISTED_PER_CODE + 7, not_polygon: 1 });
  });
});

describe('grid codes', () => {
  it('validates the 15-digit scheme, a community prefix, and a city’s own pattern', () => {
    expect(validateGridCode('360102001001003')).toEqual({
      valid: true,
      parts: { district: '360102', street: '001', community: '001', sequence: 3 },
    });
    expect(validateGridCode('36010200100100')).toEqual({ valid: false, reason: GRID_CODE_REASON.FORMAT });
    expect(validateGridCode('360102001001000')).toEqual({ valid: false, reason: GRID_CODE_REASON.ZERO_PART });
    expect(validateGridCode('360102001002003', { communityPrefix: '360102001001' })).toEqual({
      valid: false,
      reason: GRID_CODE_REASON.PREFIX_MISMATCH,
    });
    expect(validateGridCode('XH-07', { pattern: /^[A-Z]{2}-\d{2}$/ })).toEqual({ valid: true, parts: null });
  });

  it('numbers grids in reading order: rows north to south, west to east within a row', () => {
    // A 3×2 block given in scrambled order; rows ~0.01° apart, grids 0.01° tall, a little jitter.
    const grids = [
      { key: 'SE', point: [115.93, 28.6] as const, height: 0.01 },
      { key: 'NW', point: [115.91, 28.611] as const, height: 0.01 },
      { key: 'SW', point: [115.91, 28.601] as const, height: 0.01 },
      { key: 'NE', point: [115.93, 28.61] as const, height: 0.01 },
      { key: 'NM', point: [115.92, 28.6095] as const, height: 0.01 },
      { key: 'SM', point: [115.92, 28.599] as const, height: 0.01 },
    ];
    expect(generateGridCodes('360102001001', grids).map((g) => `${g.key}:${g.code.slice(-3)}`)).toEqual([
      'NW:001',
      'NM:002',
      'NE:003',
      'SW:004',
      'SM:005',
      'SE:006',
    ]);
    expect(generateGridCodes('360102001001', grids.slice(0, 1), 20)[0]!.code).toBe('360102001001020');
    expect(() => generateGridCodes('3601', grids)).toThrow();
  });

  it('gives every generated code a valid, distinct 15-digit form', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: 115, max: 116, noNaN: true }), fc.double({ min: 28, max: 29, noNaN: true })), {
          minLength: 1,
          maxLength: 60,
        }),
        (pts) => {
          const codes = generateGridCodes(
            '360102001001',
            pts.map((p, i) => ({ key: i, point: p, height: 0.005 })),
          ).map((c) => c.code);
          expect(new Set(codes).size).toBe(pts.length);
          for (const c of codes) expect(validateGridCode(c, { communityPrefix: '360102001001' }).valid).toBe(true);
        },
      ),
    );
  });
});

describe('problem preview', () => {
  const square = (x: number) => ({
    type: 'Feature' as const,
    properties: {},
    geometry: {
      type: 'Polygon' as const,
      coordinates: [
        [
          [x, 0],
          [x + 0.123456789, 0],
          [x, 0.1],
          [x, 0],
        ],
      ],
    },
  });
  const features = [0, 1, 2, 3].map(square);
  const p = (code: ImportProblem['code'], severity: ImportProblem['severity'], featureIndex?: number): ImportProblem => ({
    code,
    severity,
    message: '',
    ...(featureIndex === undefined ? {} : { featureIndex }),
  });

  it('draws each feature once with its worst problem, errors first, and for grids the rest after, within the cap', () => {
    const problems = [
      p(IMPORT_PROBLEM.REPAIRED_GEOMETRY, 'warning', 1),
      p(IMPORT_PROBLEM.DUPLICATE_GEOMETRY, 'error', 3),
      p(IMPORT_PROBLEM.GRID_OVERLAP, 'warning', 3),
      p(IMPORT_PROBLEM.GRID_GAP, 'warning'),
    ];
    const only = problemPreview(features, problems, { withUnproblematic: false });
    expect(only.features.map((f) => [f.properties.featureIndex, f.properties.code, f.properties.severity])).toEqual([
      [3, IMPORT_PROBLEM.DUPLICATE_GEOMETRY, 'error'],
      [1, IMPORT_PROBLEM.REPAIRED_GEOMETRY, 'warning'],
    ]);
    // Rounded to 1e-6 degrees (about 10 cm).
    expect(JSON.stringify(only.features[0]!.geometry)).toContain('3.123457');
    const all = problemPreview(features, problems, { withUnproblematic: true });
    expect(all.features.map((f) => f.properties.featureIndex)).toEqual([3, 1, 0, 2]);
    expect(all.features[2]!.properties).toMatchObject({ code: null, severity: null });
    expect(problemPreview(features, problems, { withUnproblematic: true, max: 3 }).features).toHaveLength(3);
  });
});

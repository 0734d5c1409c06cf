/**
 * A property-based request fuzzer over every route of createApp(). Routes are read from the Hono
 * app itself, so a new route is fuzzed automatically — or fails the suite until it has a case
 * generator below. Each case is one request, signed in as a role that may use the route or one
 * that may not, with hostile path params, query params and bodies: malformed JSON, wrong types,
 * huge strings, unicode edge cases, SQL injection, out-of-range and swapped coordinates, a
 * 1,000,000-vertex GeoJSON, deep nesting, self-intersecting and empty geometry, oversized uploads.
 *
 * Property: every answer is a success or a 4xx with the one error shape — never a 500, never a
 * hang — and the database still answers after each route's cases (GEOS errors can hang PGlite).
 * The number of cases per route is in each test's name and in the summary printed at the end.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import type { Database } from '../../api/db/database';
import { readEnv } from '../../api/env';
import { errorBodySchema } from '../../api/lib/errors';
import { routeTimeoutMs } from '../../api/lib/security';
import { ChangeFeed } from '../../api/live/change-feed';
import { DEFAULT_POLICY } from '../../geo/domain/visit-policy';
import { type DemoRole, ROLE_ACCOUNTS, tokenOf } from '../support/callers';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_PASSWORD, DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';

/** Cases per route; slow routes (PDF, XLSX, imports) run fewer. */
const RUNS = 8;
/** A request that takes longer than this is a hang (generous: CI shares two cores between three files). */
const REQUEST_TIMEOUT_MS = 60_000;
/** The upload limit the fuzzed app is configured with, so oversized uploads stay cheap to build. */
const IMPORT_MAX_MB = 1;

// ---------------------------------------------------------------------------------------------
// Hostile values
// ---------------------------------------------------------------------------------------------

const SQL_INJECTION = [
  "' or '1'='1",
  '1 or 1=1',
  '1; drop table public.households; --',
  "1' union select head_name, phone, id_number from public.households --",
  "'); select pg_sleep(30); --",
  '$$; reset role; $$',
  '1)) or true; set local role postgres; --',
  "\\'; copy public.households to '/tmp/x'; --",
];
const UNICODE = [
  '\uD800', // lone high surrogate
  'a\uDFFFb', // lone low surrogate
  'x\u0000y', // NUL
  '\u202E\u05D0\u05D1\u0645\u0631\u062D\u0628\u0627', // RTL override, Hebrew, Arabic
  '👨‍👩‍👧‍👦🏳️‍🌈\uFE0F', // emoji with joiners
  '１２３', // full-width digits
  '２０２６－１１－０１', // a full-width date
  '\u00A0 \u3000', // non-breaking and ideographic spaces
  'e\u0301', // combining accent
  '\uFFFF\uFFFE',
];
const NUMERIC_STRINGS = [
  '0',
  '-1',
  '1.5',
  '2147483648',
  '9223372036854775808',
  '1e308',
  '-0',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x10',
  '1_000',
  ' 1 ',
  '',
];
const HUGE_STRING = 'x'.repeat(200_000);
const HOSTILE_STRINGS = [
  ...SQL_INJECTION,
  ...UNICODE,
  ...NUMERIC_STRINGS,
  '../../etc/passwd',
  '<script>alert(1)</script>',
  'null',
  '[]',
  '{}',
  '%',
  '%00',
  HUGE_STRING,
];

const hostileText = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
);

/** Path and query values: percent-encoded even when the string is not valid UTF-16 (lone surrogates as WTF-8 bytes). */
function encode(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return [...s]
      .map((ch) => {
        const cp = ch.codePointAt(0)!;
        if (cp < 0xd800 || cp > 0xdfff) return encodeURIComponent(ch);
        return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
      })
      .join('');
  }
}

const SQUARE = (lon: number, lat: number, d = 0.001) => [
  [
    [lon, lat],
    [lon + d, lat],
    [lon + d, lat + d],
    [lon, lat + d],
    [lon, lat],
  ],
];
const GEOMETRIES: unknown[] = [
  {
    type: 'Polygon',
    coordinates: [
      [
        [115.9, 28.6],
        [115.91, 28.61],
        [115.91, 28.6],
        [115.9, 28.61],
        [115.9, 28.6],
      ],
    ],
  }, // bow tie
  { type: 'Polygon', coordinates: [] },
  { type: 'Polygon', coordinates: [[]] },
  {
    type: 'Polygon',
    coordinates: [
      [
        [115.9, 28.6],
        [115.9, 28.6],
        [115.9, 28.6],
        [115.9, 28.6],
      ],
    ],
  }, // zero area
  {
    type: 'Polygon',
    coordinates: [
      [
        [115.9, 28.6],
        [115.91, 28.6],
      ],
    ],
  }, // open, too short
  { type: 'Polygon', coordinates: SQUARE(28.6, 115.9) }, // swapped lon/lat
  { type: 'Polygon', coordinates: SQUARE(115.9, 91) }, // latitude 91
  {
    type: 'Polygon',
    coordinates: [
      [
        [115.9, 28.6],
        [115.91, 28.6],
        [1e308, 28.61],
        [115.9, 28.6],
      ],
    ],
  },
  {
    type: 'Polygon',
    coordinates: [
      [
        ['115.9', '28.6'],
        ['NaN', 'Infinity'],
        ['115.9', '28.6'],
        ['115.9', '28.6'],
      ],
    ],
  }, // numbers as strings
  {
    type: 'Polygon',
    coordinates: [
      [
        [115.9, 28.6, 1, 2, 3],
        [115.91, 28.6],
        [115.91, 28.61],
        [115.9, 28.6],
      ],
    ],
  },
  { type: 'MultiPolygon', coordinates: [SQUARE(115.9, 28.6), SQUARE(115.9005, 28.6005)] }, // overlapping parts
  { type: 'MultiPolygon', coordinates: [[]] },
  { type: 'GeometryCollection', geometries: [] },
  { type: 'Point', coordinates: [115.9, 91] },
  { type: 'Point', coordinates: [28.6, 115.9] },
  { type: 'Point', coordinates: [] },
  { type: 'Point', coordinates: ['NaN', 'Infinity'] },
  {
    type: 'LineString',
    coordinates: [
      [115.9, 28.6],
      [115.9, 28.6],
    ],
  },
  {
    type: 'LineString',
    coordinates: [
      [115.9, 28.6],
      [181, 28.6],
    ],
  },
  { type: 'LineString', coordinates: [[115.9, 28.6]] },
  { type: 'Feature', geometry: null, properties: {} },
];
const hostileGeometry = fc.constantFrom(...GEOMETRIES);

const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: hostileText },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>(
      null,
      true,
      false,
      0,
      -1,
      1.5,
      2147483648,
      -2147483649,
      1e308,
      -1e308,
      Number.MAX_SAFE_INTEGER,
      'NaN',
      'Infinity',
      [],
      {},
      [1, 2],
      { a: 1 },
    ),
  },
  { weight: 2, arbitrary: hostileGeometry },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** A JSON text of 1,000,000 vertices (about 22 MB), built once. */
let millionVertices: string | undefined;
function millionVertexPolygon(): string {
  if (millionVertices) return millionVertices;
  const parts: string[] = [];
  for (let i = 0; i < 1_000_000; i++) {
    const a = (i / 1_000_000) * 2 * Math.PI;
    parts.push(`[${(115.9 + 0.01 * Math.cos(a)).toFixed(7)},${(28.6 + 0.01 * Math.sin(a)).toFixed(7)}]`);
  }
  parts.push(parts[0]!);
  return (millionVertices = `{"type":"Polygon","coordinates":[[${parts.join(',')}]]}`);
}
const DEEP = 100_000;
const DEEP_ARRAY = '['.repeat(DEEP) + ']'.repeat(DEEP);
const DEEP_OBJECT = `${'{"a":'.repeat(DEEP)}1${'}'.repeat(DEEP)}`;
const MALFORMED_JSON = [
  '',
  '{',
  '{"a":',
  'not json',
  '{"a":1,}',
  "{'a':1}",
  '\u0000',
  '[]',
  'null',
  '1e999',
  '"\\ud800"',
  '{"__proto__":{"admin":true}}',
  DEEP_ARRAY,
  DEEP_OBJECT,
];

// ---------------------------------------------------------------------------------------------
// Case generators, one per route
// ---------------------------------------------------------------------------------------------

type Who = DemoRole | 'nobody';
/** Ids of real records, looked up once from the seeded street. */
interface Ids {
  grid: number;
  otherGrid: number;
  community: number;
  household: number;
  issue: number;
  patrol: number;
  meeting: number;
  action: number;
  proposal: number;
  staff: number;
  gridVersion: number;
  importId: string;
}
interface RouteSpec {
  /** A role that may use the route, and one that may not (or the same when everyone may). */
  who: [Who, Who];
  /** Valid path params; each is replaced by a hostile one in some cases. */
  params?: (ids: Ids) => Record<string, string>;
  /** Valid query params; each may be replaced, dropped or joined by a hostile one. */
  query?: (ids: Ids) => Record<string, string>;
  /** A valid JSON body; every field may be replaced by a hostile value, or the whole body by malformed text. */
  json?: (ids: Ids) => Record<string, unknown>;
  /** Fields of `json` that hold geometry, for geometry-specific cases (including the 1,000,000-vertex one). */
  geometryFields?: string[];
  multipart?: true;
  /** Extra headers a route reads. */
  headers?: Record<string, string>;
  runs?: number;
}

const SQUARE_NEAR = { type: 'Polygon', coordinates: SQUARE(115.9, 28.6) };
const MONTH = DEMO_TODAY.slice(0, 7);
/** A valid month with no records: the whole report is built, cheaply (a month of the demo street takes ~10 s embedded). */
const REPORT_MONTH = '2000-01';

const SPECS: Record<string, RouteSpec> = {
  'GET /api/health': { who: ['nobody', 'nobody'] },
  'GET /api/auth/config': { who: ['nobody', 'nobody'] },
  'POST /api/auth/login': { who: ['nobody', 'nobody'], json: () => ({ email: ROLE_ACCOUNTS.presenter, password: DEMO_PASSWORD }) },
  'GET /api/auth/me': { who: ['grid_member', 'nobody'] },
  // Signed out: a shared token that logged out or changed its password would end the other cases' sessions.
  'POST /api/auth/password': { who: ['nobody', 'nobody'], json: () => ({ current: DEMO_PASSWORD, next: 'Another1pass' }) },
  'POST /api/auth/logout': { who: ['nobody', 'nobody'] },
  'POST /api/staff': {
    who: ['grid_member', 'presenter'],
    json: (i) => ({ name: '王五', phone: '13800000000', email: 'new@demo.local', role: 'grid_member', gridIds: [i.grid] }),
  },
  'PATCH /api/staff/:id': { who: ['grid_member', 'presenter'], params: (i) => ({ id: `${i.staff}` }), json: () => ({ active: false }) },
  'POST /api/staff/:id/password-reset': { who: ['grid_member', 'presenter'], params: (i) => ({ id: `${i.staff}` }) },
  // Setup is over on the demo street (409 whoever asks); streets are the installation administrator's.
  'GET /api/setup': { who: ['nobody', 'grid_member'] },
  'POST /api/setup': {
    who: ['nobody', 'grid_member'],
    json: () => ({
      street: { name: '滨江街道', code: '360102001000' },
      admin: { name: '王', email: 'wang@example.org', password: 'Binjiang2026river' },
    }),
  },
  'GET /api/setup/checklist': { who: ['grid_member', 'nobody'] },
  'GET /api/streets': { who: ['street_leader', 'nobody'] },
  'POST /api/streets': {
    who: ['street_leader', 'presenter'],
    json: () => ({ street: { name: '沙井街道', code: '360102003000' }, leader: { name: '赵', email: 'zhao@example.org' } }),
  },
  'GET /api/config': { who: ['grid_member', 'nobody'] },
  'GET /api/communities': { who: ['grid_member', 'nobody'] },
  // Communities are the street leader's: community staff and the signed-out are refused.
  'POST /api/communities': {
    who: ['community_staff', 'nobody'],
    json: () => ({ name: '新社区', code: '360102001099', geometry: SQUARE_NEAR }),
    geometryFields: ['geometry'],
  },
  'PATCH /api/communities/:id': {
    who: ['community_staff', 'presenter'],
    params: (i) => ({ id: `${i.community}` }),
    json: () => ({ name: '改名社区', version: 1 }),
  },
  'GET /api/grids/:id/overdue': {
    who: ['grid_leader', 'presenter'],
    params: (i) => ({ id: `${i.grid}` }),
    query: () => ({ asOf: DEMO_TODAY }),
  },
  'GET /api/grids': { who: ['presenter', 'nobody'], query: () => ({ asOf: DEMO_TODAY }) },
  'POST /api/grids/:id/boundary/preview': {
    who: ['grid_leader', 'presenter'],
    params: (i) => ({ id: `${i.grid}` }),
    json: (i) => ({ geometry: SQUARE_NEAR, neighbours: [{ gridId: i.otherGrid, geometry: SQUARE_NEAR }] }),
    geometryFields: ['geometry'],
  },
  'PUT /api/grids/:id/boundary': {
    who: ['grid_leader', 'grid_member'],
    params: (i) => ({ id: `${i.grid}` }),
    json: (i) => ({ geometry: SQUARE_NEAR, version: i.gridVersion, reason: '调整边界' }),
    geometryFields: ['geometry'],
  },
  'PATCH /api/grids/:id': {
    who: ['community_staff', 'grid_leader'],
    params: (i) => ({ id: `${i.grid}` }),
    json: (i) => ({ name: '改名网格', expectedVersion: i.gridVersion, reason: '更名' }),
  },
  'POST /api/grids/:id/revert': {
    who: ['community_staff', 'grid_member'],
    params: (i) => ({ id: `${i.grid}` }),
    json: (i) => ({ toVersion: 1, version: i.gridVersion, reason: '恢复' }),
  },
  'POST /api/grids/:id/split': {
    who: ['community_staff', 'grid_member'],
    params: (i) => ({ id: `${i.grid}` }),
    json: (i) => ({
      line: {
        type: 'LineString',
        coordinates: [
          [115.9, 28.6],
          [115.91, 28.61],
        ],
      },
      version: i.gridVersion,
      reason: '拆分',
      names: ['甲', '乙'],
    }),
    geometryFields: ['line'],
  },
  'POST /api/grids/merge': {
    who: ['community_staff', 'grid_member'],
    json: (i) => ({ gridIds: [i.grid, i.otherGrid], versions: { [i.grid]: i.gridVersion }, reason: '合并' }),
  },
  'GET /api/grids/:id/versions': { who: ['grid_member', 'nobody'], params: (i) => ({ id: `${i.grid}` }) },
  'GET /api/grids/:id/versions/compare': {
    who: ['grid_member', 'nobody'],
    params: (i) => ({ id: `${i.grid}` }),
    query: () => ({ from: '1', to: '2' }),
  },
  'GET /api/boundary-proposals': {
    who: ['community_staff', 'nobody'],
    query: (i) => ({ status: 'pending', gridId: `${i.grid}`, concerning: 'me' }),
  },
  'GET /api/boundary-proposals/summary': { who: ['grid_leader', 'nobody'] },
  'POST /api/boundary-proposals/:id/approve': {
    who: ['community_staff', 'grid_member'],
    params: (i) => ({ id: `${i.proposal}` }),
    json: () => ({ note: '同意' }),
  },
  'POST /api/boundary-proposals/:id/reject': {
    who: ['community_staff', 'grid_member'],
    params: (i) => ({ id: `${i.proposal}` }),
    json: () => ({ note: '不同意' }),
  },
  'GET /api/buildings': { who: ['grid_member', 'nobody'], query: () => ({ bbox: '115.90,28.62,115.93,28.64' }) },
  'GET /api/roads': { who: ['grid_member', 'nobody'] },
  'GET /api/stats/grids': { who: ['grid_member', 'nobody'], query: () => ({ asOf: DEMO_TODAY }) },
  'GET /api/stats/buildings': { who: ['grid_member', 'nobody'], query: () => ({ bbox: '115.90,28.62,115.93,28.64', asOf: DEMO_TODAY }) },
  'GET /api/tiles/:file{(grids|buildings)\\.json}': { who: ['grid_member', 'nobody'], params: () => ({ file: 'grids.json' }) },
  'GET /api/tiles/:layer/:z/:x/:y': {
    who: ['grid_member', 'nobody'],
    params: () => ({ layer: 'buildings', z: '15', x: '26929', y: '13789.mvt' }),
    query: () => ({ v: '1' }),
  },
  'GET /api/legend': { who: ['grid_member', 'nobody'], query: () => ({ asOf: DEMO_TODAY }) },
  'GET /api/policies': { who: ['grid_member', 'nobody'] },
  'PUT /api/policies/:communityId': {
    who: ['community_staff', 'grid_leader'],
    params: (i) => ({ communityId: `${i.community}` }),
    json: () => ({ validFrom: '2031-01-01', settings: DEFAULT_POLICY }),
  },
  'GET /api/households': { who: ['grid_member', 'presenter'], query: (i) => ({ gridId: `${i.grid}` }) },
  'GET /api/households/:id': { who: ['grid_member', 'presenter'], params: (i) => ({ id: `${i.household}` }) },
  'POST /api/households/:id/reveal': {
    who: ['street_leader', 'presenter'],
    params: (i) => ({ id: `${i.household}` }),
    json: () => ({ reason: '核实困难救助申请' }),
  },
  'GET /api/audit': { who: ['community_staff', 'grid_member'], query: () => ({ limit: '10', action: 'update', before: '100' }) },
  'POST /api/visits': {
    who: ['grid_member', 'presenter'],
    json: (i) => ({
      householdId: i.household,
      visitedAt: `${DEMO_TODAY}T09:00:00+08:00`,
      method: 'in_person',
      result: 'met',
      location: { type: 'Point', coordinates: [115.9, 28.6] },
      accuracyM: 10,
    }),
    geometryFields: ['location'],
    headers: { 'idempotency-key': 'fuzz' },
  },
  'GET /api/visits/timeline': { who: ['grid_member', 'presenter'], query: (i) => ({ householdId: `${i.household}` }) },
  'GET /api/visits/indicators': {
    who: ['grid_member', 'nobody'],
    query: (i) => ({ from: `${MONTH}-01`, to: DEMO_TODAY, gridId: `${i.grid}` }),
  },
  'GET /api/visits/diary': { who: ['grid_member', 'presenter'], query: (i) => ({ month: MONTH, staffId: `${i.staff}` }) },
  'GET /api/patrols/open': { who: ['grid_member', 'presenter'] },
  'POST /api/patrols': { who: ['grid_member', 'presenter'], json: (i) => ({ gridId: i.grid }) },
  'POST /api/patrols/:id/stop': {
    who: ['grid_member', 'presenter'],
    params: (i) => ({ id: `${i.patrol}` }),
    json: () => ({
      track: {
        type: 'LineString',
        coordinates: [
          [115.9, 28.6],
          [115.901, 28.601],
        ],
      },
    }),
    geometryFields: ['track'],
  },
  'GET /api/patrols/compliance': { who: ['grid_leader', 'presenter'], query: (i) => ({ gridId: `${i.grid}`, month: MONTH }) },
  'GET /api/staff': { who: ['grid_member', 'nobody'], query: (i) => ({ communityId: `${i.community}` }) },
  'PUT /api/staff/:id/grids': {
    who: ['community_staff', 'grid_leader'],
    params: (i) => ({ id: `${i.staff}` }),
    json: (i) => ({ gridIds: [i.grid] }),
  },
  'POST /api/issues': {
    who: ['grid_member', 'presenter'],
    json: (i) => ({
      category: 'dispute',
      description: '楼道堆物',
      location: { type: 'Point', coordinates: [115.9, 28.6] },
      complexity: 'ordinary',
      householdId: i.household,
      receivedAt: `${DEMO_TODAY}T09:30:00+08:00`,
      reporter: { name: '王*', contact: '13800000000' },
    }),
    geometryFields: ['location'],
  },
  'GET /api/issues': {
    who: ['grid_member', 'presenter'],
    query: (i) => ({ status: 'registered,accepted', category: 'dispute', overdue: 'true', gridId: `${i.grid}`, limit: '5', offset: '0' }),
  },
  'GET /api/issues/pins': { who: ['grid_member', 'nobody'], query: () => ({ asOf: DEMO_TODAY }) },
  'GET /api/issues/indicators': {
    who: ['grid_member', 'nobody'],
    query: (i) => ({ from: `${MONTH}-01`, to: DEMO_TODAY, gridId: `${i.grid}` }),
  },
  'GET /api/issues/:id': { who: ['grid_member', 'presenter'], params: (i) => ({ id: `${i.issue}` }) },
  'POST /api/issues/:id/transitions': {
    who: ['grid_member', 'presenter'],
    params: (i) => ({ id: `${i.issue}` }),
    json: () => ({ to: 'accepted', note: '已受理' }),
  },
  'GET /api/reports/monthly': {
    who: ['community_staff', 'nobody'],
    query: (i) => ({ month: REPORT_MONTH, communityId: `${i.community}` }),
    runs: 6,
  },
  'GET /api/reports/monthly.pdf': {
    who: ['community_staff', 'nobody'],
    query: (i) => ({ month: REPORT_MONTH, communityId: `${i.community}` }),
    runs: 3,
  },
  'GET /api/reports/monthly.xlsx': {
    who: ['community_staff', 'nobody'],
    query: (i) => ({ month: REPORT_MONTH, communityId: `${i.community}` }),
    runs: 3,
  },
  'POST /api/meetings': {
    who: ['community_staff', 'grid_member'],
    json: (i) => ({
      communityId: i.community,
      month: MONTH,
      heldOn: DEMO_TODAY,
      type: 'analysis',
      attendeeStaffIds: [i.staff],
      attendeeNames: ['李*'],
      notes: '会议',
    }),
  },
  'GET /api/meetings': { who: ['grid_member', 'nobody'], query: (i) => ({ communityId: `${i.community}`, month: MONTH }) },
  'POST /api/meetings/:id/actions': {
    who: ['community_staff', 'grid_member'],
    params: (i) => ({ id: `${i.meeting}` }),
    json: (i) => ({ gridId: i.grid, decision: '清理楼道', ownerId: i.staff, dueOn: DEMO_TODAY }),
  },
  'PATCH /api/actions/:id': {
    who: ['community_staff', 'grid_member'],
    params: (i) => ({ id: `${i.action}` }),
    json: () => ({ done: true, doneOn: DEMO_TODAY }),
  },
  'POST /api/imports': {
    who: ['community_staff', 'presenter'],
    query: () => ({ kind: 'buildings', crs: 'auto' }),
    multipart: true,
    runs: 8,
  },
  'GET /api/imports/:id': { who: ['community_staff', 'presenter'], params: (i) => ({ id: i.importId }) },
  'POST /api/imports/:id/commit': { who: ['community_staff', 'presenter'], params: (i) => ({ id: i.importId }), runs: 6 },
  'GET /api/exports/:file': {
    who: ['community_staff', 'presenter'],
    params: () => ({ file: 'overdue.csv' }),
    query: (i) => ({ asOf: DEMO_TODAY, lang: 'en', gridId: `${i.grid}` }),
    runs: 6,
  },
  'GET /api/events': { who: ['grid_member', 'nobody'], runs: 4 },
  'GET /ogc': { who: ['nobody', 'nobody'] },
  'GET /ogc/conformance': { who: ['nobody', 'nobody'] },
  'GET /ogc/collections': { who: ['nobody', 'nobody'] },
  'GET /ogc/collections/:collectionId': { who: ['nobody', 'nobody'], params: () => ({ collectionId: 'grids' }) },
  'GET /ogc/collections/:collectionId/items': {
    who: ['nobody', 'nobody'],
    params: () => ({ collectionId: 'buildings' }),
    query: () => ({ bbox: '115.90,28.62,115.93,28.64', limit: '5', offset: '0', f: 'json' }),
  },
  'GET /ogc/collections/:collectionId/items/:featureId': {
    who: ['nobody', 'nobody'],
    params: (i) => ({ collectionId: 'grids', featureId: `${i.grid}` }),
  },
};

interface FuzzCase {
  who: Who;
  path: string;
  init: RequestInit;
  /** What the case is, for a failure message (bodies can be megabytes). */
  label: string;
}

/** Each slot keeps its valid value, or takes a hostile one. */
const slot = (valid: string) => fc.oneof({ weight: 2, arbitrary: fc.constant(valid) }, { weight: 3, arbitrary: hostileText });

function pathOf(template: string, params: Record<string, string>): string {
  return template.replace(/:([A-Za-z]+)(\{[^}]*\})?/g, (_m, name: string) => encode(params[name] ?? ''));
}

function queryString(q: Record<string, string>): string {
  const s = Object.entries(q)
    .map(([k, v]) => `${encode(k)}=${encode(v)}`)
    .join('&');
  return s ? `?${s}` : '';
}

function jsonBody(spec: RouteSpec, ids: Ids): fc.Arbitrary<{ body: string; label: string; contentType: string }> {
  const valid = spec.json!(ids);
  const keys = Object.keys(valid);
  const asJson = (v: unknown, label: string) => ({ body: JSON.stringify(v), label, contentType: 'application/json' });
  const options: fc.Arbitrary<{ body: string; label: string; contentType: string }>[] = [
    fc.constant(asJson(valid, 'valid body')),
    fc
      .constantFrom(...MALFORMED_JSON)
      .map((body) => ({ body, label: `malformed JSON ${JSON.stringify(body.slice(0, 30))}`, contentType: 'application/json' })),
    fc
      .record({ key: fc.constantFrom(...keys), value: hostileJson })
      .map(({ key, value }) => asJson({ ...valid, [key]: value }, `${key} = ${JSON.stringify(value)?.slice(0, 60)}`)),
    fc
      .dictionary(fc.constantFrom(...keys), hostileJson, { maxKeys: keys.length })
      .map((d) => asJson({ ...valid, ...d }, `fields ${JSON.stringify(d).slice(0, 120)}`)),
    fc
      .record({ key: hostileText, value: hostileJson })
      .map(({ key, value }) => asJson({ ...valid, [key]: value }, `extra field ${JSON.stringify(key).slice(0, 40)}`)),
    fc.constant({ body: JSON.stringify(valid), label: 'JSON sent as text/plain', contentType: 'text/plain' }),
  ];
  if (spec.geometryFields) {
    const fields = spec.geometryFields;
    options.push(
      fc
        .record({ key: fc.constantFrom(...fields), geometry: hostileGeometry })
        .map(({ key, geometry }) => asJson({ ...valid, [key]: geometry }, `${key} = ${JSON.stringify(geometry)}`)),
      fc.constantFrom(...fields).map((key) => {
        const rest = JSON.stringify({ ...valid, [key]: null });
        // Spliced in as text: JSON.stringify of the parsed value would take seconds.
        return {
          body: rest.replace(`"${key}":null`, `"${key}":${millionVertexPolygon()}`),
          label: `${key} with 1,000,000 vertices`,
          contentType: 'application/json',
        };
      }),
    );
  }
  return fc.oneof(...options);
}

function multipartBody(): fc.Arbitrary<{ form: FormData; label: string }> {
  const file = (content: string | Uint8Array, name: string) =>
    new File([typeof content === 'string' ? content : new Uint8Array(content)], name);
  const geojson = (geometry: unknown) =>
    JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { name: 'x', address: 'y' }, geometry }] });
  const files = fc.oneof(
    fc
      .record({ geometry: hostileGeometry, name: fc.constantFrom('a.geojson', 'a.json') })
      .map(({ geometry, name }) => ({ file: file(geojson(geometry), name), label: `${name}: ${JSON.stringify(geometry)}` })),
    fc
      .record({
        bytes: fc.uint8Array({ maxLength: 2000 }),
        name: fc.constantFrom('a.geojson', 'a.shp', 'a.zip', 'a.kml', 'a.fgb', 'a.xlsx', 'a.csv', 'a.exe', ''),
      })
      .map(({ bytes, name }) => ({ file: file(bytes, name), label: `${bytes.length} random bytes as ${name}` })),
    fc
      .constantFrom(...MALFORMED_JSON.filter((m) => m.length < 1000))
      .map((text) => ({ file: file(text, 'a.geojson'), label: `geojson ${JSON.stringify(text)}` })),
    hostileText.map((name) => ({ file: file(geojson(SQUARE_NEAR), name), label: `file name ${JSON.stringify(name).slice(0, 40)}` })),
    fc.constant(0).map(() => ({
      file: file(new Uint8Array(IMPORT_MAX_MB * 1024 * 1024 + 1024), 'big.geojson'),
      label: `an upload over ${IMPORT_MAX_MB} MB`,
    })),
    fc.constant(0).map(() => ({ file: file('', 'empty.geojson'), label: 'an empty file' })),
  );
  return fc
    .record({
      f: files,
      mapping: fc.option(
        fc.oneof(
          hostileText,
          hostileJson.map((v) => JSON.stringify(v) ?? ''),
        ),
      ),
      missingFile: fc.constantFrom(false, false, false, true),
    })
    .map(({ f, mapping, missingFile }) => {
      const form = new FormData();
      if (!missingFile) form.set('file', f.file);
      if (mapping !== null) form.set('mapping', mapping);
      return { form, label: `${missingFile ? 'no file' : f.label}; mapping ${JSON.stringify(mapping)?.slice(0, 60)}` };
    });
}

function caseFor(template: string, method: string, spec: RouteSpec, ids: Ids): fc.Arbitrary<FuzzCase> {
  const validParams = spec.params?.(ids) ?? {};
  const validQuery = spec.query?.(ids) ?? {};
  const params = fc.record(Object.fromEntries(Object.entries(validParams).map(([k, v]) => [k, slot(v)])));
  const query = fc
    .tuple(
      fc.record(Object.fromEntries(Object.entries(validQuery).map(([k, v]) => [k, fc.option(slot(v), { freq: 6 })]))),
      fc.option(fc.tuple(fc.constantFrom(...Object.keys(validQuery), 'id', 'asOf', 'limit'), hostileText), { freq: 2 }),
    )
    .map(([q, extra]) => {
      const out = Object.fromEntries(Object.entries(q).filter(([, v]) => v !== null)) as Record<string, string>;
      if (extra) out[extra[0]] = extra[1];
      return out;
    });
  const body: fc.Arbitrary<{ init: RequestInit; label: string }> = spec.json
    ? jsonBody(spec, ids).map(({ body, label, contentType }) => ({ init: { body, headers: { 'content-type': contentType } }, label }))
    : spec.multipart
      ? multipartBody().map(({ form, label }) => ({ init: { body: form }, label }))
      : method === 'GET'
        ? fc.constant({ init: {}, label: '' })
        : fc
            .constantFrom(...MALFORMED_JSON.slice(0, 6))
            .map((b) => ({ init: { body: b, headers: { 'content-type': 'application/json' } }, label: `body ${JSON.stringify(b)}` }));
  return fc
    .record({ who: fc.constantFrom(...spec.who), params, query, body, header: fc.option(hostileText, { freq: 4 }) })
    .map(({ who, params, query, body, header }) => assemble(template, method, spec, { who, params, query, body, header }));
}

function assemble(
  template: string,
  method: string,
  spec: RouteSpec,
  c: {
    who: Who;
    params: Record<string, string>;
    query: Record<string, string>;
    body: { init: RequestInit; label: string };
    header: string | null;
  },
): FuzzCase {
  const path = pathOf(template, c.params) + queryString(c.query);
  const headers = new Headers(c.body.init.headers);
  for (const [k, v] of Object.entries(spec.headers ?? {})) headers.set(k, c.header === null ? v : encode(c.header));
  return { who: c.who, path, init: { ...c.body.init, method, headers }, label: c.body.label };
}

/**
 * Cases every run tries first, whatever the seed: the inputs that found defects (an id past
 * PostgreSQL's integer, a date that is no date), in every path and query slot of the route, and a
 * position of five numbers in every geometry field.
 */
const REGRESSION_VALUES = ['2147483648', 'x'];
/** A position with five numbers beside 2D ones: PostGIS refused the mix with a 500. */
const REGRESSION_GEOMETRY = {
  type: 'Polygon',
  coordinates: [
    [
      [115.9, 28.6, 1, 2, 3],
      [115.91, 28.6],
      [115.91, 28.61],
      [115.9, 28.6],
    ],
  ],
};
function examplesFor(template: string, method: string, spec: RouteSpec, ids: Ids): FuzzCase[] {
  const params = spec.params?.(ids) ?? {};
  const query = spec.query?.(ids) ?? {};
  const body = spec.json
    ? { init: { body: JSON.stringify(spec.json(ids)), headers: { 'content-type': 'application/json' } }, label: 'valid body' }
    : { init: {}, label: '' };
  const all = (o: Record<string, string>, v: string) => Object.fromEntries(Object.keys(o).map((k) => [k, v]));
  const cases: FuzzCase[] = [];
  for (const v of REGRESSION_VALUES) {
    if (Object.keys(params).length)
      cases.push(assemble(template, method, spec, { who: spec.who[0], params: all(params, v), query, body, header: null }));
    if (Object.keys(query).length)
      cases.push(assemble(template, method, spec, { who: spec.who[0], params, query: all(query, v), body, header: null }));
  }
  for (const key of spec.json ? (spec.geometryFields ?? []) : []) {
    const init = {
      body: JSON.stringify({ ...spec.json!(ids), [key]: REGRESSION_GEOMETRY }),
      headers: { 'content-type': 'application/json' },
    };
    cases.push(
      assemble(template, method, spec, {
        who: spec.who[0],
        params,
        query,
        body: { init, label: `${key} with a five-number position` },
        header: null,
      }),
    );
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------
// The routes, as the app has them
// ---------------------------------------------------------------------------------------------

function routesOf(app: { routes: { method: string; path: string }[] }): string[] {
  const keys = app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`);
  return [...new Set(keys)];
}
// The route table does not touch the database: an inert stand-in suffices to read it.
const ROUTES = routesOf(createApp({ db: {} as Database, env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET }));

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]);
}

it('gives files four times the default time limit, and the live stream none', () => {
  expect(routeTimeoutMs('/api/stats/grids', 30_000)).toBe(30_000);
  expect(routeTimeoutMs('/api/imports', 30_000)).toBe(120_000);
  expect(routeTimeoutMs('/api/reports/monthly.pdf', 30_000)).toBe(120_000);
  expect(routeTimeoutMs('/api/events', 30_000)).toBeNull();
});

it('has a case generator for every route of the app, and none for a route it lacks', () => {
  expect(ROUTES.length).toBeGreaterThan(60);
  expect(
    ROUTES.filter((r) => !SPECS[r]),
    'routes without a case generator in SPECS',
  ).toEqual([]);
  expect(
    Object.keys(SPECS).filter((r) => !ROUTES.includes(r)),
    'SPECS for routes the app no longer has',
  ).toEqual([]);
});

describeEachDatabase('request fuzzer', (mode, db) => {
  // The live stream's listener holds a connection until closed; owned here so the database can be dropped.
  let changes: ChangeFeed;
  const app = () =>
    createApp({ db: db(), env: readEnv({ DEMO_TODAY, IMPORT_MAX_MB: String(IMPORT_MAX_MB) }), jwtSecret: TEST_JWT_SECRET, changes });
  let shared: ReturnType<typeof app>;
  let ids: Ids;
  const tokens = new Map<Who, string>();
  const counts: Record<string, number> = {};

  beforeAll(async () => {
    changes = new ChangeFeed(db());
    shared = app();
    for (const role of Object.keys(ROLE_ACCOUNTS) as DemoRole[]) tokens.set(role, await tokenOf(db(), ROLE_ACCOUNTS[role]));
    const one = async <T>(sql: string, params: unknown[] = [], fallback: T): Promise<T> =>
      (await db().query<{ v: T }>(sql, params))[0]?.v ?? fallback;
    const member = ROLE_ACCOUNTS.grid_member;
    const grid = await one<number>(
      `select sg.grid_id as v from public.staff_grids sg join public.staff s on s.id = sg.staff_id where s.email = $1 order by 1 limit 1`,
      [member],
      1,
    );
    ids = {
      grid,
      otherGrid: await one('select id as v from public.grids where id <> $1 order by id limit 1', [grid], 2),
      community: await one('select community_id as v from public.staff where email = $1', [ROLE_ACCOUNTS.community_staff], 1),
      household: await one(
        'select h.id as v from public.households h join public.buildings b on b.id = h.building_id where b.grid_id = $1 order by h.id limit 1',
        [grid],
        1,
      ),
      issue: await one('select id as v from public.issues where grid_id = $1 order by id limit 1', [grid], 1),
      patrol: await one('select id as v from public.patrols order by id desc limit 1', [], 1),
      meeting: await one('select id as v from public.meetings order by id limit 1', [], 1),
      action: await one('select id as v from public.meeting_actions order by id limit 1', [], 1),
      proposal: await one('select id as v from public.boundary_proposals order by id limit 1', [], 1),
      staff: await one('select id as v from public.staff where email = $1', [member], 1),
      gridVersion: await one('select version as v from public.grids where id = $1', [grid], 1),
      importId: randomUUID(),
    };
  });

  afterAll(async () => {
    await changes.close();
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const lines = Object.entries(counts).map(([route, n]) => `  ${String(n).padStart(3)}  ${route}`);
    console.log(`[fuzz ${mode}] ${total} cases over ${Object.keys(counts).length} routes:\n${lines.join('\n')}`);
  });

  it('answers a request that runs past its route’s time limit with a 504 in the error shape, and keeps serving', async () => {
    const impatient = createApp({ db: db(), env: readEnv({ DEMO_TODAY, REQUEST_TIMEOUT_MS: '1' }), jwtSecret: TEST_JWT_SECRET, changes });
    // A past date nobody asked for yet: computed on the spot, never answered from a cache in time.
    const res = await impatient.request('/api/stats/grids?asOf=2026-02-03', {
      headers: { authorization: `Bearer ${tokens.get('grid_member')}` },
    });
    expect(res.status).toBe(504);
    const body = errorBodySchema.parse(await res.json());
    expect(body.error.code).toBe('timeout');
    expect(body.error.message).toContain('/api/stats/grids');
    // The abandoned work finishes on its own; the database and a patient app still answer.
    const ok = await shared.request('/api/stats/grids', { headers: { authorization: `Bearer ${tokens.get('grid_member')}` } });
    expect(ok.status).toBe(200);
  });

  for (const route of ROUTES) {
    const spec = SPECS[route];
    if (!spec) continue;
    const runs = spec.runs ?? RUNS;
    it(`${route}: ${runs} generated cases and its regression examples, each a success or a 4xx with the error shape`, async () => {
      const [method, template] = route.split(' ') as [string, string];
      let ran = 0;
      // fast-check runs the examples as the first of numRuns: the generated cases come on top.
      const examples = examplesFor(template, method, spec, ids).map((c) => [c] as [FuzzCase]);
      await fc.assert(
        fc.asyncProperty(caseFor(template, method, spec, ids), async (c) => {
          ran++;
          const headers = new Headers(c.init.headers);
          if (c.who !== 'nobody') headers.set('authorization', `Bearer ${tokens.get(c.who)}`);
          const res = await withTimeout(
            Promise.resolve(shared.request(c.path, { ...c.init, headers })),
            REQUEST_TIMEOUT_MS,
            `${c.who} ${method} ${c.path.slice(0, 200)} (${c.label})`,
          );
          // The live stream stays open by design: its head is the answer.
          const streaming = (res.headers.get('content-type') ?? '').startsWith('text/event-stream');
          if (streaming) await res.body?.cancel();
          const text = streaming ? '' : await withTimeout(res.text(), REQUEST_TIMEOUT_MS, 'the response body');
          const where = `${c.who} ${method} ${c.path.slice(0, 200)} (${c.label.slice(0, 200)}) → ${res.status} ${text.slice(0, 300)}`;
          expect(res.status < 300 || (res.status >= 400 && res.status < 500), where).toBe(true);
          if (res.status >= 400) {
            expect(errorBodySchema.safeParse(JSON.parse(text)).success, where).toBe(true);
          }
        }),
        { numRuns: runs + examples.length, endOnFailure: true, examples },
      );
      counts[route] = ran;
      // The database must still answer: a GEOS error or a runaway statement would show here.
      expect(await withTimeout(db().query<{ one: number }>('select 1 as one'), 10_000, 'the database after the fuzzed requests')).toEqual([
        { one: 1 },
      ]);
    }, 300_000);
  }
});

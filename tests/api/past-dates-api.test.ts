/**
 * "A date is a promise" after boundary changes (issue 19): a grid is split and two neighbours are
 * redrawn (a building passes from one to the other), and every view of a date before the changes
 * gives exactly what it gave before them — boundaries, assignments and figures: the grids, tiles,
 * statistics, legend, mop-up lists, the month report with its PDF maps and workbook, and the
 * exports. Today's grids do change, so the comparison is not vacuous. (OGC API Features serves
 * today's live grids only: it has no date.)
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { VectorTile } from '@mapbox/vector-tile';
import ExcelJS from 'exceljs';
import { PbfReader } from 'pbf';
import { beforeAll, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { readEnv } from '../../api/env';
import { splitLineOf, transferableBuilding, transferShapes } from '../support/boundary-changes';
import { ROLE_ACCOUNTS, signedIn, staffGridOf } from '../support/callers';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';
import { popplerPrerequisite } from '../support/prerequisites';

/** A closed month before every change, and its last day. */
const MONTH = '2026-10';
const BEFORE = '2026-10-31';

describeEachDatabase('views of a past date after a split and a redraw', (mode, db) => {
  // One app for the file: the tile cache lives in it, as in a running server.
  let theApp: ReturnType<typeof createApp> | undefined;
  const app = () => (theApp ??= createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET }));
  const request = (who: string, path: string, init?: RequestInit) =>
    signedIn(app(), db(), who).request(path, { ...init, headers: { 'content-type': 'application/json', ...init?.headers } });
  const bytes = async (path: string) => {
    const res = await request(ROLE_ACCOUNTS.street_leader, path);
    expect(res.status, `${path}: ${res.status}`).toBe(200);
    return { headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  };
  const json = async (path: string) => JSON.parse((await bytes(path)).body.toString('utf8'));
  /** A JSON answer without what only says when it was made. */
  const figures = async (path: string) => {
    const { statsVersion: _v, generatedAt: _g, ...rest } = await json(path);
    return rest;
  };

  let split: number; // the grid split
  let redrawn: [number, number]; // the grid that takes a building, and the neighbour it takes it from
  let building: number;
  let tile: { z: number; x: number; y: number };
  let bbox: string;

  /** A vector tile's features, decoded: id and geometry in tile units. */
  const tileFeatures = async (path: string) => {
    const layer = new VectorTile(new PbfReader((await bytes(path)).body)).layers.grids;
    const features = Array.from({ length: layer?.length ?? 0 }, (_, i) => layer!.feature(i));
    return features
      .map((f) => ({ id: f.id, geometry: f.loadGeometry().map((ring) => ring.map((p) => [p.x, p.y])) }))
      .sort((a, b) => a.id! - b.id!);
  };
  /** A workbook's cell values, sheet by sheet. */
  const workbook = async (path: string) => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await bytes(path)).body as never);
    return wb.worksheets.map((ws) => ({ name: ws.name, rows: ws.getSheetValues() }));
  };
  /** The PDF's two map pages (the month's map; last month beside this month) as grey pixels, above the footer that dates it. */
  const pdfMaps = async (route: string) => {
    if (!popplerPrerequisite().ok) return null;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minqing-past-'));
    try {
      fs.writeFileSync(path.join(dir, 'r.pdf'), (await bytes(route)).body);
      // 24 dpi: a page is 281 × 198 pixels; the footer (with the time it was made) starts at 190.
      execFileSync('pdftoppm', [
        '-f',
        '4',
        '-l',
        '5',
        '-r',
        '24',
        '-gray',
        '-x',
        '0',
        '-y',
        '0',
        '-W',
        '281',
        '-H',
        '170',
        path.join(dir, 'r.pdf'),
        path.join(dir, 'p'),
      ]);
      return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.pgm'))
        .sort()
        .map((f) => fs.readFileSync(path.join(dir, f)).toString('base64'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };

  /** Every view of BEFORE. */
  const views = async () => ({
    grids: await json(`/api/grids?asOf=${BEFORE}`),
    tile: await tileFeatures(`/api/tiles/grids/${tile.z}/${tile.x}/${tile.y}.mvt?asOf=${BEFORE}`),
    stats: await figures(`/api/stats/grids?asOf=${BEFORE}`),
    buildings: await figures(`/api/stats/buildings?bbox=${bbox}&asOf=${BEFORE}`),
    legend: await json(`/api/legend?asOf=${BEFORE}`),
    mopUp: [await json(`/api/grids/${split}/overdue?asOf=${BEFORE}`), await json(`/api/grids/${redrawn[1]}/overdue?asOf=${BEFORE}`)],
    report: await figures(`/api/reports/monthly?month=${MONTH}`),
    reportXlsx: await workbook(`/api/reports/monthly.xlsx?month=${MONTH}`),
    // Drawn alike on both databases from the same shapes query; once is enough (seconds a run).
    reportPdfMaps: mode === 'pglite' ? await pdfMaps(`/api/reports/monthly.pdf?month=${MONTH}`) : null,
    exportGeojson: await json(`/api/exports/grids.geojson?asOf=${BEFORE}`),
    exportCsv: (await bytes(`/api/exports/grids.csv?asOf=${BEFORE}&lang=en`)).body.toString('utf8'),
    exportOverdue: (await bytes(`/api/exports/overdue.csv?asOf=${BEFORE}&gridId=${redrawn[1]}`)).body.toString('utf8'),
  });
  let before: Awaited<ReturnType<typeof views>>;

  beforeAll(async () => {
    const staff = ROLE_ACCOUNTS.community_staff;
    const { gridId } = await staffGridOf(db(), ROLE_ACCOUNTS.grid_leader);
    const t = await transferableBuilding(db(), gridId);
    redrawn = [gridId, t.neighbour];
    building = t.building;
    [{ id: split }] = (await db().query<{ id: number }>(
      `select id from public.grids where community_id = (select community_id from public.grids where id = $1) and id <> all ($2::int[]) order by id desc limit 1`,
      [gridId, redrawn],
    )) as [{ id: number }];
    const [place] = await db().query<{ lon: number; lat: number; bbox: string }>(
      `select ST_X(p) as lon, ST_Y(p) as lat, concat_ws(',', ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)) as bbox
       from (select ST_PointOnSurface(boundary) as p from public.grids where id = $1) g,
            (select ST_Extent(boundary) as e from public.grids where id = any ($2::int[])) x`,
      [split, [split, ...redrawn]],
    );
    bbox = place!.bbox;
    const n = 2 ** 14;
    const r = (place!.lat * Math.PI) / 180;
    tile = {
      z: 14,
      x: Math.floor(((place!.lon + 180) / 360) * n),
      y: Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n),
    };
    before = await views();

    const version = async (id: number) =>
      (await db().query<{ version: number }>('select version from public.grids where id = $1', [id]))[0]!.version;
    const res = await request(staff, `/api/grids/${split}/split`, {
      method: 'POST',
      body: JSON.stringify({ line: await splitLineOf(db(), split), version: await version(split), reason: '户数过多，一分为二' }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const { grown, shrunk } = await transferShapes(db(), building, redrawn[1], redrawn[0]);
    const redraw = await request(staff, `/api/grids/${redrawn[0]}/boundary`, {
      method: 'PUT',
      body: JSON.stringify({
        geometry: grown,
        version: await version(redrawn[0]),
        reason: '楼栋与本网格同一小区',
        neighbours: [{ gridId: redrawn[1], version: await version(redrawn[1]), geometry: shrunk }],
      }),
    });
    expect(redraw.status, await redraw.clone().text()).toBe(200);
  }, 300_000);

  it("changed today's grids: a new one, and new shapes for the split and the redrawn", async () => {
    const today = await json('/api/grids');
    expect(today.features).toHaveLength(before.grids.features.length + 1);
    const shape = (fc: any, id: number) => JSON.stringify(fc.features.find((f: any) => f.id === id)?.geometry);
    for (const id of [split, ...redrawn]) expect(shape(today, id), `grid ${id}`).not.toEqual(shape(before.grids, id));
    const [{ grid_id: now }] = (await db().query<{ grid_id: number }>('select grid_id from public.buildings where id = $1', [
      building,
    ])) as [{ grid_id: number }];
    expect(now).toBe(redrawn[0]);
  });

  it('gives, for a date before the changes, every view exactly as it was before them', async () => {
    const after = await views();
    const changed = (Object.keys(before) as (keyof typeof before)[]).filter((key) => !isDeepStrictEqual(after[key], before[key]));
    expect(changed).toEqual([]);
    // The moved building is still its old grid's on that date, with that date's figures.
    expect(before.buildings.buildings.find((b: any) => b.id === building)?.gridId).toBe(redrawn[1]);
  }, 120_000);

  it("names a tile's variant in its ETag, so a map that switches date does not keep the other date's tile", async () => {
    const at = `/api/tiles/grids/${tile.z}/${tile.x}/${tile.y}.mvt`;
    const etags = new Set<string | null>();
    for (const q of ['', `?asOf=${BEFORE}`, `?asOf=${DEMO_TODAY}`, '?crs=gcj02']) etags.add((await bytes(at + q)).headers.get('etag'));
    expect(etags.size).toBe(4);
  });
});

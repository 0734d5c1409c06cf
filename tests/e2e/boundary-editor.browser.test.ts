/**
 * The boundary editor through the interface (issue #5): a grid leader drags a vertex of their grid
 * into the neighbour and sees the overlap in the panel and on the map, undoes it, previews an
 * edit's impact, and saves a valid edit with a reason.
 */
import { bbox, bearing, booleanPointInPolygon, centroid, destination, distance, pointOnFeature } from '@turf/turf';
import type { Feature, MultiPolygon, Position } from 'geojson';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { chromiumPrerequisite, describeWith } from '../support/prerequisites';
import { type Driver, useBrowserSuite } from './driver';

const LEADER = 'grid01@demo.local';
/** The grid grid01 leads. */
const GRID = 1;
/** A closed month's last day, before every change a test makes (they are dated now, after DEMO_TODAY). */
const MONTH_END = '2026-10-31';
/** A shared machine can be slow to draw; each test still does one thing. */
const SLOW_MACHINE_MS = 150_000;

type Grid = Feature<MultiPolygon, { id: number; communityId: number; version: number; name: string }>;

const key = (p: Position) => `${p[0]},${p[1]}`;

/**
 * The leader's grid, and a vertex of it shared with exactly one neighbour, with a point 15 m into
 * that neighbour (towards its centre): dragging the vertex there makes an overlap, nothing else.
 */
async function aSharedVertex(d: Driver) {
  const me = await d.then.apiAsThePage<{ scope: { fullGridIds: number[] } }>('auth/me');
  const grids = (await d.then.apiAsThePage<{ features: Grid[] }>('grids')).features;
  const grid = grids.find((g) => g.properties.id === GRID)!;
  expect(me.scope.fullGridIds).toContain(GRID);
  const ring = grid.geometry.coordinates[0]![0]!;
  const others = grids.filter((g) => g.properties.id !== grid.properties.id && g.properties.communityId === grid.properties.communityId);
  const owners = new Map<string, Grid[]>();
  for (const g of grids)
    for (const p of g.geometry.coordinates.flat(2))
      owners.set(
        key(p),
        [...(owners.get(key(p)) ?? []), g].filter((x, i, a) => a.indexOf(x) === i),
      );
  for (const vertex of ring.slice(0, -1)) {
    const sharing = owners.get(key(vertex)) ?? [];
    const neighbour = sharing.find((g) => others.includes(g));
    if (sharing.length !== 2 || !neighbour) continue;
    const target = destination(vertex, 0.015, bearing(vertex, centroid(neighbour))).geometry.coordinates as [number, number];
    if (booleanPointInPolygon(target, neighbour) && !booleanPointInPolygon(target, grid)) {
      return { grid, neighbour, vertex: vertex as [number, number], target };
    }
  }
  throw new Error(`grid ${grid.properties.id} has no vertex shared with a single neighbour`);
}

describeWith(chromiumPrerequisite(), 'the boundary editor in headless Chromium', () => {
  let page: Page;
  let d: Driver;
  useBrowserSuite(async (t) => {
    ({ page, d } = t);
    await d.given.signedInAs(LEADER);
  });

  async function editingAtAVertex() {
    await d.given.theMapIsOpen(`?grid=${GRID}`);
    const at = await aSharedVertex(d);
    await d.when.jumpTo(at.vertex, 17.5);
    await d.when.openBoundaryEditor();
    return at;
  }

  it(
    'shows the overlap in the panel and on the map when a vertex is dragged into the neighbour, and undo restores the shape',
    async () => {
      const { vertex, target } = await editingAtAVertex();
      const before = await d.then.boundaryProblems();
      expect(before).not.toContain('OVERLAPS_GRID');

      await d.when.dragOnMap(vertex, target);
      await page.waitForFunction(() =>
        document.querySelector('[data-boundary-problems]')?.getAttribute('data-boundary-problems')?.includes('OVERLAPS_GRID'),
      );
      expect(await d.then.boundaryProblems()).toContain('OVERLAPS_GRID');
      await d.when.waitForTheMapToSettle();
      expect(await d.then.boundaryProblemsOnMap()).toContain('OVERLAPS_GRID');
      await d.then.screenshot('boundary-editor-overlap');

      await page.keyboard.press('Control+Z');
      await page.waitForFunction(
        () => !document.querySelector('[data-boundary-problems]')?.getAttribute('data-boundary-problems')?.includes('OVERLAPS_GRID'),
      );
      expect(await d.then.boundaryProblems()).toEqual(before);
      expect(d.then.pageErrors()).toEqual([]);
    },
    SLOW_MACHINE_MS,
  );

  it(
    'previews the impact of an edit: the neighbour’s building moving in, households and workload before and after',
    async () => {
      const { vertex, neighbour } = await editingAtAVertex();
      // Past the neighbour's building nearest the vertex: its point on surface ends up in the grid.
      const [x, y] = vertex;
      const nearby = await d.then.apiAsThePage<{ features: Feature<MultiPolygon, { id: number; gridId: number; households: number }>[] }>(
        `buildings?bbox=${x - 0.002},${y - 0.002},${x + 0.002},${y + 0.002}`,
      );
      const building = nearby.features
        .filter((b) => b.properties.gridId === neighbour.properties.id && b.properties.households > 0)
        .map((b) => ({ id: b.properties.id, at: pointOnFeature(b).geometry.coordinates }))
        .sort((a, b) => distance(vertex, a.at) - distance(vertex, b.at))[0]!;
      const target = destination(vertex, distance(vertex, building.at) + 0.012, bearing(vertex, building.at)).geometry.coordinates as [
        number,
        number,
      ];
      await d.when.dragOnMap(vertex, target);
      await page.click('[data-testid="boundary-editor"] [data-action="preview"]');
      const impact = page.getByTestId('boundary-impact');
      await impact.waitFor({ timeout: 30_000 });
      const text = (await impact.textContent()) ?? '';
      expect(Number(/划入楼栋(\d+)/.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
      expect(text).toMatch(/每月走访量（前 → 后）[\d.]+ → [\d.]+/);
      expect(text).toContain(neighbour.properties.name);
      await d.when.waitForTheMapToSettle();
      await d.then.screenshot('boundary-editor-preview');
    },
    SLOW_MACHINE_MS,
  );

  it(
    'saves a valid edit with a reason, the version goes up, and the history compares it with the one before',
    async () => {
      const { grid, neighbour, vertex } = await editingAtAVertex();
      const before = await d.then.boundaryProblems();
      // A vertex added on the edge shared with the neighbour, pulled 1.5 m off it: snapping puts it
      // back on the neighbour's edge, so the shape changes and stays valid.
      const ring = grid.geometry.coordinates[0]![0]!;
      const i = ring.findIndex((p) => key(p) === key(vertex));
      const theirs = new Set(neighbour.geometry.coordinates.flat(2).map(key));
      const other = [ring[i + 1], ring[i === 0 ? ring.length - 2 : i - 1]].find((p) => p && theirs.has(key(p)))!;
      const mid: [number, number] = [(vertex[0] + other[0]!) / 2, (vertex[1] + other[1]!) / 2];
      await d.when.dragOnMap(mid, destination(mid, 0.0015, bearing(mid, centroid(grid))).geometry.coordinates as [number, number]);
      await page.getByRole('button', { name: '撤销' }).waitFor();
      expect(await page.getByRole('button', { name: '撤销' }).isEnabled()).toBe(true);
      expect(await d.then.boundaryProblems()).toEqual(before);

      const save = page.locator('[data-testid="boundary-editor"] [data-action="save"]');
      expect(await save.isDisabled()).toBe(true); // no reason yet
      await page.getByLabel('调整理由（必填）').fill('按社区会议决定，在共享边上加一个顶点');
      await save.click();
      const next = grid.properties.version + 1;
      await page.getByTestId('boundary-notice').getByText(`v${next}`).waitFor({ timeout: 30_000 });
      await page.getByTestId('grid-panel').getByText(`v${next}`).waitFor();

      await d.when.openBoundaryEditor();
      await page.getByRole('tab', { name: '历史版本' }).click();
      await page.getByRole('button', { name: `与 v${next - 1} 对比` }).click();
      await page.waitForSelector(`[data-boundary-compare="${next - 1}-${next}"]`, { timeout: 30_000 });
      expect(await page.getByTestId('boundary-history').textContent()).toContain('在共享边上加一个顶点');
      await d.then.screenshot('boundary-editor-history');
    },
    SLOW_MACHINE_MS,
  );

  // Last: it splits a grid, which the tests above do not expect.
  it(
    "after a split, an earlier date shows that day's grids: on the main map switched to it, and on the month's slides",
    async () => {
      const { newGrid, kept } = await aGridSplitByItsCommunityStaff(d);
      const before = (await d.then.apiAsThePage<{ features: Grid[] }>(`grids?asOf=${MONTH_END}`)).features;
      const keptThen = before.find((g) => g.properties.id === kept)!;
      await d.given.signedInAs('street@demo.local');

      // Today the new grid is on the map; switched to the month's end, the grid as it was then,
      // with that day's figures where the new grid is now.
      await d.given.theMapIsOpen();
      expect(await d.then.renderedGridIds()).toContain(newGrid.properties.id);
      await d.when.chooseDate(MONTH_END);
      await page.waitForFunction((day) => {
        const map = window.__minqingMap!;
        return (map.getSource('grids') as { tiles?: string[] }).tiles?.[0]?.includes(`asOf=${day}`) && map.loaded();
      }, MONTH_END);
      expect(await d.then.renderedGridIds()).toEqual(before.map((g) => g.properties.id).sort((a, b) => a - b));
      await d.when.hoverMapAt(pointOnFeature(newGrid).geometry.coordinates as [number, number]);
      expect(await d.then.tooltipText()).toContain(keptThen.properties.name);
      await d.then.screenshot('past-date-after-split-map');

      // The month's map slide: the grids of its last day, the kept grid its whole width again.
      await page.goto(new URL(`/?view=meeting&month=${MONTH_END.slice(0, 7)}`, page.url()).href);
      await page.getByTestId('slide').waitFor({ timeout: 120_000 });
      while ((await page.getByTestId('slide').getAttribute('data-slide')) !== 'map') await page.keyboard.press('ArrowRight');
      const drawn = await page
        .getByTestId('slide-map')
        .locator('path[data-grid]')
        .evaluateAll((ps) =>
          ps
            .map((p) => ({ id: Number(p.getAttribute('data-grid')), box: (p as SVGPathElement).getBBox() }))
            .map(({ id, box }) => ({ id, x: box.x, w: box.width })),
        );
      expect(drawn.map((a) => a.id).sort((a, b) => a - b)).toEqual(before.map((g) => g.properties.id).sort((a, b) => a - b));
      // Widths on the slide relative to the whole street's, as in the boundaries of that day.
      const [west, , east] = bbox({ type: 'FeatureCollection', features: before });
      const [gw, , ge] = bbox(keptThen);
      const left = Math.min(...drawn.map((a) => a.x));
      const right = Math.max(...drawn.map((a) => a.x + a.w));
      const slideShare = drawn.find((a) => a.id === kept)!.w / (right - left);
      expect(slideShare).toBeCloseTo((ge - gw) / (east - west), 2);
      await d.then.screenshot('past-date-after-split-slide');
    },
    SLOW_MACHINE_MS,
  );
});

/**
 * The last grid (by id) of the community staff's community split in two through the API, by a
 * north–south line that cuts no building (the server refuses those; the next line is tried).
 */
async function aGridSplitByItsCommunityStaff(d: Driver): Promise<{ kept: number; newGrid: Grid }> {
  const staff = 'community@demo.local';
  const me = await d.given.theApiCalledAs<{ staff: { communityId: number } }>(staff, 'auth/me');
  const grids = (await d.given.theApiCalledAs<{ features: Grid[] }>(staff, 'grids')).features;
  const grid = grids.filter((g) => g.properties.communityId === me.staff.communityId).sort((a, b) => b.properties.id - a.properties.id)[0]!;
  const [x0, y0, x1, y1] = bbox(grid);
  for (const f of [0.5, 0.46, 0.54, 0.42, 0.58, 0.38, 0.62, 0.34, 0.66]) {
    const x = x0 + f * (x1 - x0);
    const line = {
      type: 'LineString',
      coordinates: [
        [x, y0 - 0.001],
        [x, y1 + 0.001],
      ],
    };
    const body = JSON.stringify({ line, version: grid.properties.version, reason: '户数过多，一分为二' });
    const split = await d.given
      .theApiCalledAs<{ newGrid: Grid }>(staff, `grids/${grid.properties.id}/split`, { method: 'POST', body })
      .catch(() => null);
    if (split) return { kept: grid.properties.id, newGrid: split.newGrid };
  }
  throw new Error(`no north–south line splits grid ${grid.properties.id} without cutting a building`);
}

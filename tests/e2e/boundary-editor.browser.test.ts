/**
 * The boundary editor through the interface (issue #5): a grid leader drags a vertex of their grid
 * into the neighbour and sees the overlap in the panel and on the map, undoes it, previews an
 * edit's impact, and saves a valid edit with a reason.
 */
import { bearing, booleanPointInPolygon, centroid, destination, distance, pointOnFeature } from '@turf/turf';
import type { Feature, MultiPolygon, Position } from 'geojson';
import { expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chromiumPrerequisite, describeWith } from '../support/prerequisites';
import { useBrowserSuite, type Driver } from './driver';

const LEADER = 'grid01@demo.local';

type Grid = Feature<MultiPolygon, { id: number; communityId: number; version: number; name: string }>;

const key = (p: Position) => `${p[0]},${p[1]}`;

/**
 * The leader's grid, and a vertex of it shared with exactly one neighbour, with a point 15 m into
 * that neighbour (towards its centre): dragging the vertex there makes an overlap, nothing else.
 */
async function aSharedVertex(d: Driver) {
  const me = await d.then.apiAsThePage<{ scope: { fullGridIds: number[] } }>('auth/me');
  const grids = (await d.then.apiAsThePage<{ features: Grid[] }>('grids')).features;
  const grid = grids.find((g) => g.properties.id === me.scope.fullGridIds[0])!;
  const ring = grid.geometry.coordinates[0]![0]!;
  const others = grids.filter((g) => g.properties.id !== grid.properties.id && g.properties.communityId === grid.properties.communityId);
  const owners = new Map<string, Grid[]>();
  for (const g of grids) for (const p of g.geometry.coordinates.flat(2)) owners.set(key(p), [...(owners.get(key(p)) ?? []), g].filter((x, i, a) => a.indexOf(x) === i));
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
    await d.given.theMapIsOpen();
    const at = await aSharedVertex(d);
    await d.given.theMapIsOpen(`?grid=${at.grid.properties.id}&view=${at.vertex[0]},${at.vertex[1]},17.5`);
    await d.when.openBoundaryEditor();
    return at;
  }

  it('shows the overlap in the panel and on the map when a vertex is dragged into the neighbour, and undo restores the shape', async () => {
    const { vertex, target } = await editingAtAVertex();
    const before = await d.then.boundaryProblems();
    expect(before).not.toContain('OVERLAPS_GRID');

    await d.when.dragOnMap(vertex, target);
    await page.waitForFunction(() => document.querySelector('[data-boundary-problems]')?.getAttribute('data-boundary-problems')?.includes('OVERLAPS_GRID'));
    expect(await d.then.boundaryProblems()).toContain('OVERLAPS_GRID');
    await d.when.waitForTheMapToSettle();
    expect(await d.then.boundaryProblemsOnMap()).toContain('OVERLAPS_GRID');
    await d.then.screenshot('boundary-editor-overlap');

    await page.keyboard.press('Control+Z');
    await page.waitForFunction(() => !document.querySelector('[data-boundary-problems]')?.getAttribute('data-boundary-problems')?.includes('OVERLAPS_GRID'));
    expect(await d.then.boundaryProblems()).toEqual(before);
    expect(d.then.pageErrors()).toEqual([]);
  });

  it('previews the impact of an edit: the neighbour’s building moving in, households and workload before and after', async () => {
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
    const target = destination(vertex, distance(vertex, building.at) + 0.012, bearing(vertex, building.at)).geometry.coordinates as [number, number];
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
  });
});

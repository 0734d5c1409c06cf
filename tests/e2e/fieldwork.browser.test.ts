/**
 * Field work through the interface: a grid member logs a visit and registers an issue from the
 * household list, handles an issue to the end, and every open map follows without a reload.
 */

import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { chromiumPrerequisite, describeWith } from '../support/prerequisites';
import { type BrowserTest, type Driver, useBrowserSuite } from './driver';

const MEMBER = 'member01@demo.local';
const STREET_LEADER = 'street@demo.local';
const LEADER = 'grid01@demo.local';
/** The grid member01 serves. */
const GRID = 1;

describeWith(chromiumPrerequisite(), 'field work in headless Chromium', () => {
  let page: Page;
  let d: Driver;
  let anotherPage: BrowserTest['anotherPage'];
  useBrowserSuite(async (t) => {
    ({ page, d, anotherPage } = t);
  });

  it('raises the grid’s coverage on the map when a grid member logs a visit to an overdue household', async () => {
    await d.given.signedInAs(MEMBER);
    await d.given.theMapIsOpen(`?grid=${GRID}`);
    const mark = await d.given.aMarkOnThePage();
    const before = await d.then.gridCoverage();
    await d.when.showOnlyOverdueHouseholds();
    const household = await d.when.household(0);

    await d.when.openVisitForm(household);
    await d.when.fillVisit({ method: '入户走访', result: '见到住户', durationMin: 20, notes: '老人身体尚好，已告知社区活动' });
    expect(await d.when.submitVisit()).toBe(201);
    expect(await d.then.visitLoggedText()).toMatch(/已记录走访（2026-11-15 \d\d:\d\d）/);
    await d.then.screenshot('visit-logged');
    await d.when.closeForm();

    // The figure the map shows moves by one household.
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid="grid-figures"]')?.textContent?.includes(`(${n}/`),
      before.covered + 1,
    );
    const after = await d.then.gridCoverage();
    expect(after).toMatchObject({ covered: before.covered + 1, households: before.households });
    // The list kept its "overdue only" filter while the form was open, and the household leaves it.
    expect(
      await page
        .getByTestId('households')
        .getByLabel(/只看逾期未访/)
        .isChecked(),
    ).toBe(true);
    await page.locator(`[data-testid="households"] li[data-household="${household}"]`).waitFor({ state: 'detached' });
    expect(await d.then.pageWasNotReloaded(mark)).toBe(true);
    expect(d.then.pageErrors()).toEqual([]);
  });

  it('shows a new pin on the issue layer, and its registration number, when a grid member registers an issue', async () => {
    await d.given.signedInAs(MEMBER);
    await d.given.theMapIsOpen(`?grid=${GRID}`);
    const mark = await d.given.aMarkOnThePage();
    const pinsBefore = await d.then.issuePinCount();
    const household = await d.when.household(3);

    await d.when.openIssueForm(household);
    // The location starts at the household's building, and the map flies there.
    await page.waitForSelector('[data-testid="issue-location"][data-from="building"]');
    await d.when.waitForTheMapToSettle();
    await d.when.fillIssue({
      category: '消防隐患',
      description: '楼道内电动车充电，存在火灾隐患',
      complexity: '一般',
      tier: '网格当场办理',
    });
    // The matter is in the yard south of the building: the user clicks there on the map.
    const [lon, lat] = await d.when.issueLocation();
    const picked: [number, number] = [lon, lat - 0.0006];
    await d.when.clickMapAt(picked);
    await page.waitForSelector('[data-testid="issue-location"][data-from="map"]');
    const location = await d.when.issueLocation();
    expect(Math.abs(location[0] - picked[0]) + Math.abs(location[1] - picked[1])).toBeLessThan(0.00005);
    await d.then.screenshot('issue-form');
    const regNo = await d.when.submitIssue();
    expect(regNo).toMatch(/^202611\d{3}$/);
    expect(await d.then.registeredText()).toContain(`已登记，登记号 ${regNo}`);

    await page.waitForFunction(
      (n) => Number(document.querySelector('[data-testid="map"]')?.getAttribute('data-issue-pins')) === n,
      pinsBefore + 1,
    );
    await d.when.waitForTheMapToSettle();
    await page.waitForFunction(
      (r) => window.__minqingMap!.queryRenderedFeatures({ layers: ['issue-pins'] }).some((f) => f.properties.regNo === r),
      regNo,
    );
    const pin = (await d.then.renderedIssuePins()).find((p) => p.regNo === regNo);
    expect(pin).toMatchObject({ regNo, stage: 'on_track', status: 'registered' });
    expect(Math.abs(pin!.lonLat[0] - location[0]) + Math.abs(pin!.lonLat[1] - location[1])).toBeLessThan(0.00001);
    await d.then.screenshot('issue-registered');
    expect(await d.then.pageWasNotReloaded(mark)).toBe(true);
  });

  it('recolours a street leader’s open map within seconds when a grid member logs a visit elsewhere', async () => {
    await d.given.signedInAs(STREET_LEADER);
    await d.given.theMapIsOpen(`?grid=${GRID}`);
    await page.waitForSelector('[data-testid="live"][data-state="open"]');
    const mark = await d.given.aMarkOnThePage();
    const before = await d.then.gridCoverage();
    const rankingBefore = await d.then.rankingText();

    const member = await anotherPage();
    await member.d.given.signedInAs(MEMBER);
    await member.d.given.theMapIsOpen(`?grid=${GRID}`);
    await member.d.when.showOnlyOverdueHouseholds();
    await member.d.when.openVisitForm(await member.d.when.household(0));
    // Only a visit that met the household counts towards coverage (docs/metrics.md).
    await member.d.when.fillVisit({ result: '见到住户' });
    expect(await member.d.when.submitVisit()).toBe(201);
    const committed = Date.now();

    await page.waitForFunction(
      (n) => document.querySelector('[data-testid="grid-figures"]')?.textContent?.includes(`(${n}/`),
      before.covered + 1,
      // The issue asks for 2 s; a loaded machine running three products and browsers at once needs more.
      { timeout: 10_000 },
    );
    console.info(`the street leader's map changed ${Date.now() - committed} ms after the visit was saved`);
    expect((await d.then.gridCoverage()).covered).toBe(before.covered + 1);
    expect(await d.then.rankingText()).not.toBe(rankingBefore);
    expect(await d.then.pageWasNotReloaded(mark)).toBe(true);
    expect(await d.then.liveState()).toBe('open');
    await d.then.screenshot('live-street-leader');
  });

  it('lets a grid member handle an issue step by step, each step added to its timeline', async () => {
    const { id, regNo } = await d.given.anIssueRegisteredBy(MEMBER, GRID, { category: 'sanitation', description: '小区垃圾清运不及时' });
    await d.given.signedInAs(MEMBER);
    await d.given.theMapIsOpen(`?issue=${id}`);
    await page.getByTestId('issue-timeline').waitFor();
    expect(await page.locator('#issue-page-title').innerText()).toBe(`事项 ${regNo}`);
    expect(await d.then.timelineKinds()).toEqual(['registered']);
    expect(await d.then.transitionButtons()).toEqual(['受理', '上报', '延期', '撤销']);

    expect(await d.when.handleIssue('受理', { note: '已与物业联系' })).toBe(200);
    expect(await d.then.timelineKinds()).toEqual(['registered', 'accepted']);
    expect(await d.when.handleIssue('开始办理')).toBe(200);
    expect(await d.when.handleIssue('办结', { note: '已清运' })).toBe(200);
    expect(await d.then.issueStatus()).toBe('resolved');
    await d.then.screenshot('issue-resolved');
    expect(await d.when.handleIssue('反馈结案', { evaluation: '满意' })).toBe(200);
    expect(await d.then.timelineKinds()).toEqual(['registered', 'accepted', 'in_progress', 'resolved', 'closed']);
    expect(await d.then.issueStatus()).toBe('closed');
    expect(await d.then.transitionButtons()).toEqual(['重新办理']);
    expect(await page.getByTestId('issue-timeline').innerText()).toContain('群众评价：满意');
    await page.getByTestId('issue-timeline').scrollIntoViewIfNeeded();
    await d.then.screenshot('issue-timeline');
  });

  it('shows the server’s reason when a step is refused, and takes the step once the reason is given', async () => {
    const { id } = await d.given.anIssueRegisteredBy(MEMBER, GRID, { category: 'dispute', description: '邻里噪音纠纷' });
    await d.given.signedInAs(MEMBER);
    await d.given.theMapIsOpen(`?issue=${id}`);
    await page.getByTestId('issue-timeline').waitFor();

    expect(await d.when.handleIssue('上报')).toBe(422);
    const refusal = await d.then.refusalText();
    expect(refusal).toContain('此操作须填写理由');
    expect(refusal).toContain('"escalated" needs a note');
    await d.then.screenshot('issue-refused');

    expect(await d.when.handleIssue('上报', { note: '需社区协调双方' })).toBe(200);
    expect(await d.then.timelineKinds()).toEqual(['registered', 'escalated']);
    expect(await page.getByTestId('issue-timeline').innerText()).toContain('网格当场办理 → 社区协调办理');
  });

  it('shows a street leader an issue with its reporter masked and no transition buttons', async () => {
    const { id } = await d.given.anIssueRegisteredBy(MEMBER, GRID, { category: 'livelihood', description: '独居老人申请助餐服务' });
    await d.given.signedInAs(STREET_LEADER);
    await d.given.theMapIsOpen(`?issue=${id}`);
    await page.getByTestId('issue-timeline').waitFor();
    expect(await d.then.timelineKinds()).toEqual(['registered']);
    expect(await page.getByTestId('issue-actions').count()).toBe(0);
    expect(await page.getByRole('button', { name: '受理' }).count()).toBe(0);
    expect((await d.then.issueReporter()).masked).toBe(true);
  });

  it('fits the visit form on a phone-sized screen without sideways scrolling', async () => {
    await d.given.aPhoneSizedScreen();
    await d.given.signedInAs(MEMBER);
    await d.given.theMapIsOpen(`?grid=${GRID}`);
    const household = await d.when.household(0);
    await page.locator(`[data-testid="households"] li[data-household="${household}"]`).scrollIntoViewIfNeeded();
    await d.when.openVisitForm(household);
    const overflow = await d.then.horizontalOverflow('visit-form');
    expect(overflow).toEqual({ page: 0, element: 0, widestChild: expect.any(Number) });
    expect(overflow.widestChild).toBeLessThanOrEqual(0);
    // The form's controls are all on screen, down to its submit button.
    const submit = await page.getByRole('button', { name: '保存走访记录' }).boundingBox();
    expect(submit!.y + submit!.height).toBeLessThanOrEqual(844);
    expect(await page.getByTestId('visit-form').getByRole('heading', { name: '记录走访' }).isVisible()).toBe(true);
    await d.then.screenshot('visit-form-phone');
  });

  it('draws open issues as pins coloured by deadline stage, clustered when zoomed out, and filters them', async () => {
    await d.given.signedInAs(STREET_LEADER);
    await d.given.theMapIsOpen();
    const open = await d.then.issuePinCount();
    expect(open).toBeGreaterThan(10);
    expect(await d.then.issueLegendText()).toMatch(/已超期\s+\d+/);

    await d.when.zoomTo(13);
    const clusters = await d.then.renderedIssueClusters();
    expect(clusters.length).toBeGreaterThan(0);
    expect(clusters.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(open);
    await d.then.screenshot('issue-layer-clustered');

    await d.when.zoomTo(16.2);
    const pins = await d.then.renderedIssuePins();
    expect(pins.length).toBeGreaterThan(0);
    expect(pins.filter((p) => !['on_track', 'past_half', 'overdue'].includes(p.stage))).toEqual([]);
    await d.then.screenshot('issue-layer-street');

    // Resolved and closed matters are hidden until asked for.
    await d.when.toggleIssueStatusOnTheLayer('已反馈结案');
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="map"]')?.getAttribute('data-issue-pins')) > n, open);
    await d.when.toggleIssueStatusOnTheLayer('已反馈结案');
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="map"]')?.getAttribute('data-issue-pins')) === n, open);
    await page.getByTestId('issue-layer').getByLabel('事项类别').selectOption({ label: '矛盾纠纷' });
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="map"]')?.getAttribute('data-issue-pins')) < n, open);

    // The switch hides the whole layer.
    await page.getByTestId('issue-layer').getByLabel('民情事项').uncheck();
    await page.waitForSelector('[data-testid="map"][data-issues-shown="false"]');
    expect(await d.then.renderedIssuePins()).toEqual([]);
    expect(d.then.url()).toContain('pins=0');
  });

  it('opens an issue page from a pin on the map', async () => {
    await d.given.signedInAs(STREET_LEADER);
    await d.given.theMapIsOpen();
    await d.when.zoomTo(16.2);
    const hit = await page.evaluate(() => {
      const map = window.__minqingMap!;
      const f = map.queryRenderedFeatures({ layers: ['issue-pins'] })[0]!;
      const p = map.project((f.geometry as GeoJSON.Point).coordinates as [number, number]);
      const box = map.getCanvas().getBoundingClientRect();
      return { regNo: String(f.properties.regNo), x: box.left + p.x, y: box.top + p.y };
    });
    await page.mouse.click(hit.x, hit.y);
    await page.getByTestId('issue-timeline').waitFor();
    expect(await page.locator('#issue-page-title').innerText()).toBe(`事项 ${hit.regNo}`);
    expect(d.then.url()).toMatch(/[?&]issue=\d+/);
  });

  it('lists a grid member’s issues on the board, filtered, and opens one', async () => {
    const { regNo } = await d.given.anIssueRegisteredBy(MEMBER, GRID, {
      category: 'public_facility',
      description: '路灯损坏',
      complexity: 'complex',
    });
    await d.given.signedInAs(MEMBER);
    await d.given.theMapIsOpen();
    await d.when.openIssueBoard();
    await page.waitForSelector(`[data-testid="issue-board"] li[data-reg-no="${regNo}"]`);
    await d.when.filterIssueBoard({ category: '公共设施' });
    expect(await d.then.boardRegNos()).toContain(regNo);
    await d.when.filterIssueBoard({ category: '矛盾纠纷' });
    expect(await d.then.boardRegNos()).not.toContain(regNo);
    await d.when.filterIssueBoard({ category: '全部' });
    await d.then.screenshot('issue-board');
    await d.when.openIssueFromBoard(regNo);
    expect(await page.locator('#issue-page-title').innerText()).toBe(`事项 ${regNo}`);
    expect(d.then.url()).toContain('tab=issues');
  });

  it('opens a building’s households when it is clicked at street level', async () => {
    await d.given.signedInAs(MEMBER);
    await d.given.theMapIsOpen();
    // Street level over the member's grid.
    await d.when.jumpTo([115.9095, 28.6352], 17.5);
    await d.then.renderedBuildingCount();
    const address = await d.when.clickBuilding();
    await page.getByTestId('building-filter').waitFor();
    expect(await page.getByTestId('building-filter').innerText()).toContain(address);
    const rows = await d.then.households();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((r) => !r.text.startsWith(address))).toEqual([]);
  });

  it('lets a grid leader start and stop the day’s patrol from the grid panel', async () => {
    await d.given.signedInAs(LEADER);
    await d.given.theMapIsOpen(`?grid=${GRID}`);
    expect(await d.then.patrolDaysMetText()).toMatch(/本月巡查达标 \d+\/\d+ 天/);
    await d.when.startPatrol();
    await d.then.screenshot('patrol-running');
    expect(await d.when.stopPatrol()).toBe(200);
    expect(d.then.pageErrors()).toEqual([]);
  });

  it('shows a household’s record, newest first, under its row', async () => {
    await d.given.signedInAs(MEMBER);
    await d.given.theMapIsOpen(`?grid=${GRID}`);
    const household = await d.when.household(0);
    await d.when.openHouseholdRecord(household);
    const kinds = await d.then.householdRecordKinds(household);
    expect(kinds.length).toBeGreaterThan(0);
    expect(kinds).toContain('visit');
    await d.then.screenshot('household-record');
  });

  it('shows a grid member their 民情日记 for a month with its tally', async () => {
    await d.given.signedInAs(MEMBER);
    await d.given.theMapIsOpen();
    await d.when.openDiary('2026-10');
    const visits = await d.then.diaryVisitCount();
    expect(visits).toBeGreaterThan(0);
    expect(await d.then.diaryTallyText()).toContain(`走访 ${visits} 次`);
    await d.then.screenshot('diary');
  });
});

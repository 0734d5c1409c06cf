import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { generateDemoStreet } from '../../geo/demo/street.generator';
import { DEMO_TODAY } from '../support/fixtures';
import { chromiumPrerequisite, describeWith } from '../support/prerequisites';
import { type Driver, type Product, useBrowserSuite } from './driver';

/** The seeded street, regenerated here so tests know every resident the database holds. */
const street = generateDemoStreet({ today: DEMO_TODAY });
const staffByEmail = (email: string) => street.staff.find((s) => s.email === email)!;
const gridOne = street.grids.find((g) => g.id === 1)!;
const gridOneAddresses = new Set(street.buildings.filter((b) => b.gridId === 1).map((b) => b.address));
/** An unmasked mobile number: 11 digits starting with 1, not part of a longer number. */
const PHONE = /(?<!\d)1[3-9]\d{9}(?!\d)/;

describeWith(chromiumPrerequisite(), 'sign-in and what each role sees, in headless Chromium', () => {
  let page: Page;
  let d: Driver;
  let product: Product;
  useBrowserSuite(async (t) => {
    ({ page, d, product } = t);
  });

  it('lists the demo accounts on the sign-in page and says when the password is wrong', async () => {
    await d.given.theSignInPageIsOpen();
    const accounts = await d.then.demoAccounts();
    expect(accounts).toHaveLength(5);
    expect(accounts.join('\n')).toMatch(/街道领导\s+street@demo\.local/);
    expect(accounts.join('\n')).toMatch(/会议投影\s+presenter@demo\.local/);
    await d.then.screenshot('sign-in');

    await d.when.signIn('street@demo.local', 'not-the-password');
    await page.locator('.sign-in-card [role="alert"]').waitFor();
    expect(await d.then.signInError()).toBe('邮箱或密码不正确');
    expect(await d.then.isOnSignInPage()).toBe(true);
    await d.then.screenshot('sign-in-wrong-password');
  });

  it('answers a signed-in request for an API route that does not exist with the JSON 404, not the app page', async () => {
    await d.given.signedInAs('street@demo.local');
    await d.given.theMapIsOpen();
    const answer = await page.evaluate(async () => {
      const s = JSON.parse(window.localStorage.getItem('minqing.session') ?? '{}') as { token?: string };
      const res = await fetch('/api/no-such-route', { headers: { authorization: `Bearer ${s.token}` } });
      return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
    });
    expect(answer.status).toBe(404);
    expect(answer.type).toMatch(/application\/json/);
    expect(JSON.parse(answer.body).error.code).toBe('not_found');
  });

  it('shows who signed in, in which role and for which community', async () => {
    await d.given.theSignInPageIsOpen();
    await d.when.chooseDemoAccount('community@demo.local');
    const me = staffByEmail('community@demo.local');
    const community = street.communities.find((c) => c.id === me.communityId)!;
    const text = await d.then.accountText();
    expect(text).toContain(me.name);
    expect(text).toContain('社区工作者');
    expect(text).toContain(community.name);
    await page.waitForSelector('[data-map-ready="true"]', { timeout: 60_000 });
    await d.then.screenshot('header-community-staff');
  });

  it('shows the street leader the whole street as their scope', async () => {
    await d.given.signedInAs('street@demo.local');
    await d.given.theMapIsOpen();
    const text = await d.then.accountText();
    expect(text).toContain(staffByEmail('street@demo.local').name);
    expect(text).toMatch(/街道领导\s*全街道/);
  });

  it('shows the presenter the map and no household, and sends the browser no personal data', async () => {
    await d.given.signedInAs('presenter@demo.local');
    await d.given.theMapIsOpen('?grid=1');
    expect(await d.then.panelText()).toContain(gridOne.name);
    expect(await d.then.hasHouseholdSection()).toBe(false);
    await d.when.zoomTo(17);
    await d.then.renderedBuildingCount();

    const answers = await d.then.apiAnswers();
    expect(answers.length).toBeGreaterThan(5);
    expect(answers.filter((a) => a.url.includes('/api/households'))).toEqual([]);
    const staffNames = new Set(street.staff.map((s) => s.name));
    const residentNames = [...new Set(street.households.map((h) => h.headName))].filter((n) => !staffNames.has(n));
    const residentPhones = new Set(street.households.map((h) => h.phone));
    for (const { url, body } of answers) {
      expect(body, url).not.toMatch(/"(headName|idNumber)"/);
      const phone = PHONE.exec(body)?.[0];
      expect(phone && residentPhones.has(phone) ? `${url} has a resident's phone ${phone}` : null).toBeNull();
      const name = residentNames.find((n) => body.includes(`"${n}"`));
      expect(name ? `${url} has a resident's name ${name}` : null).toBeNull();
    }
    await d.then.screenshot('presenter-grid');
  });

  it('shows the grid member the households of their grid', async () => {
    await d.given.signedInAs('member01@demo.local');
    await d.given.theMapIsOpen('?grid=1');
    const rows = await d.then.households();
    expect(rows.length).toBeGreaterThan(100);
    expect(rows.filter((r) => ![...gridOneAddresses].some((a) => r.text.startsWith(a)))).toEqual([]);
    await page.getByTestId('households').scrollIntoViewIfNeeded();
    await d.then.screenshot('households-grid-member');
  });

  it('shows the street leader masked households, and one in full after giving a reason', async () => {
    await d.given.signedInAs('street@demo.local');
    await d.given.theMapIsOpen('?grid=1');
    const rows = await d.then.households();
    expect(rows.length).toBeGreaterThan(100);
    expect(rows.filter((r) => !r.masked)).toEqual([]);
    expect(rows.filter((r) => PHONE.test(r.phone))).toEqual([]);
    expect(rows[0]!.headName).toContain('*');
    await page.getByTestId('households').scrollIntoViewIfNeeded();
    await d.then.screenshot('households-masked');

    const id = await d.when.revealHousehold(0, '核实走访记录');
    const row = d.then.household(id);
    await page.waitForSelector(`[data-testid="households"] li[data-household="${id}"][data-masked="false"]`);
    const truth = street.households.find((h) => h.id === id)!;
    expect(await row.locator('.head-name').innerText()).toBe(truth.headName);
    expect(await row.locator('.phone').innerText()).toBe(truth.phone);
    expect(await row.innerText()).toContain('已记入审计日志');
    // Only the one asked for: its neighbours stay masked.
    expect((await d.then.households()).filter((r) => !r.masked).map((r) => r.id)).toEqual([id]);
    await row.scrollIntoViewIfNeeded();
    await d.then.screenshot('household-revealed');
    expect(d.then.pageErrors()).toEqual([]);
  });

  it('hides every personal field in projector mode, even from the street leader', async () => {
    await d.given.signedInAs('street@demo.local');
    await d.given.theMapIsOpen('?grid=1');
    await d.then.households();
    // Answers to requests sent before the switch may still arrive; count from a quiet page.
    await d.then.quiet();
    const before = (await d.then.apiAnswers()).length;
    await d.when.turnOnProjectorMode();
    await page.getByRole('status').filter({ hasText: '投影模式已开启' }).waitFor();
    // The server answers a presentation with every capability off: no household list, no "show details".
    await page.getByTestId('households').waitFor({ state: 'detached' });
    expect(await page.getByRole('button', { name: '显示详情' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: '投影模式' }).getAttribute('aria-pressed')).toBe('true');
    const after = (await d.then.apiAnswers()).slice(before);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((a) => !a.presentation).map((a) => a.url)).toEqual([]);
    expect(after.filter((a) => PHONE.test(a.body) || /"headName"/.test(a.body)).map((a) => a.url)).toEqual([]);
    await d.then.screenshot('projector-mode');
  });

  it('returns to the sign-in page on sign-out, and stays there after a reload', async () => {
    await d.given.signedInAs('grid01@demo.local');
    await d.given.theMapIsOpen();
    await d.when.signOut();
    await page.getByLabel('密码', { exact: true }).waitFor();
    expect(await d.then.isOnSignInPage()).toBe(true);
    await page.reload();
    await page.getByLabel('密码', { exact: true }).waitFor();
    expect(await d.then.isOnSignInPage()).toBe(true);
    expect(await page.evaluate(() => window.localStorage.getItem('minqing.session'))).toBeNull();
  });

  it('signs out and says why when the server rejects the token', async () => {
    await d.given.aStoredSession({ token: 'not.a-valid.token', expiresAt: Date.now() + 3_600_000, mode: 'local', userId: 'x' });
    await page.goto(product.url);
    await page.getByText('登录已过期，请重新登录').waitFor();
    expect(await d.then.isOnSignInPage()).toBe(true);
  });
});

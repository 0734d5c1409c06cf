import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../support/fixtures';
import { chromiumPrerequisite, describeWith } from '../support/prerequisites';
import { type Driver, type Product, useBrowserSuite } from './driver';

describeWith(chromiumPrerequisite(), 'a new staff account in headless Chromium', () => {
  let page: Page;
  let d: Driver;
  let product: Product;
  useBrowserSuite(async (t) => {
    ({ page, d, product } = t);
  });

  const api = async (path: string, body: unknown, token?: string) => {
    const res = await fetch(new URL(path, product.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return (await res.json()) as any;
  };

  it('asks for a new password before anything else, then opens the map; 退出 ends the token on the server', async () => {
    const manager = (await api('/api/auth/login', { email: 'community@demo.local', password: DEMO_PASSWORD })).access_token as string;
    const email = `e2e.${Date.now()}@example.org`;
    const created = await api('/api/staff', { name: '新网格员', email, role: 'grid_member' }, manager);
    expect(created, JSON.stringify(created)).toHaveProperty('initialPassword');
    expect(created.initialPassword).toMatch(/^[A-Za-z0-9]{14}$/);

    await d.given.theSignInPageIsOpen();
    await d.when.signIn(email, created.initialPassword);
    await page.getByRole('heading', { name: '设置新密码' }).waitFor();
    expect(await page.locator('[data-map-ready]').count()).toBe(0);
    await page.getByLabel('当前密码').fill(created.initialPassword);
    await page.getByLabel('新密码', { exact: true }).fill('short1');
    await page.getByLabel('再次输入新密码').fill('short1');
    await page.getByRole('button', { name: '保存新密码' }).click();
    expect(await page.locator('[data-testid="change-password"] [role="alert"]').textContent()).toBe('密码至少需要 10 个字符。');
    await page.getByLabel('新密码', { exact: true }).fill('Courtyard-42-lane');
    await page.getByLabel('再次输入新密码').fill('Courtyard-42-lane');
    await page.getByRole('button', { name: '保存新密码' }).click();
    await page.waitForSelector('[data-map-ready="true"]', { timeout: 60_000 });
    expect(await page.getByRole('button', { name: '修改密码' }).count()).toBe(1);

    const token = await page.evaluate(() => JSON.parse(window.localStorage.getItem('minqing.session')!).token as string);
    await d.when.signOut();
    await page.getByLabel('密码', { exact: true }).waitFor();
    const after = await fetch(new URL('/api/auth/me', product.url), { headers: { authorization: `Bearer ${token}` } });
    expect(after.status).toBe(401);
  });

  it('draws 修改密码 from the account bar as a readable dialog, not in the header’s light text', async () => {
    await d.given.theSignInPageIsOpen();
    await d.when.signIn('member01@demo.local', DEMO_PASSWORD);
    await page.waitForSelector('[data-map-ready="true"]', { timeout: 60_000 });
    await page.getByRole('button', { name: '修改密码' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: '设置新密码' }).waitFor();
    // WCAG contrast of each text against the card it sits on: white on white is 1.
    const contrasts = await dialog.evaluate((el) => {
      const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
      const lum = ([r, g, b]: number[]) =>
        [r!, g!, b!]
          .map((v) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4))
          .reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i]!, 0);
      const card = el.querySelector('.sign-in-card')!;
      const bg = lum(rgb(getComputedStyle(card).backgroundColor));
      return [...card.querySelectorAll('h2, label span, button')].map((t) => {
        const fg = lum(rgb(getComputedStyle(t).color));
        const back = getComputedStyle(t).backgroundColor;
        const b = back === 'rgba(0, 0, 0, 0)' ? bg : lum(rgb(back));
        return { text: t.textContent, ratio: (Math.max(fg, b) + 0.05) / (Math.min(fg, b) + 0.05) };
      });
    });
    expect(contrasts.length).toBe(6);
    expect(contrasts.filter((c) => c.ratio < 4.5)).toEqual([]);
    await dialog.getByRole('button', { name: '取消' }).click();
    expect(await page.getByRole('dialog').count()).toBe(0);
  });

  it('人员管理: the street leader creates a grid member, sees the one-time password once, and disables them', async () => {
    await d.given.signedInAs('street@demo.local');
    await d.given.theMapIsOpen();
    page.on('dialog', (dialog) => void dialog.accept());
    await page.getByTestId('open-staff').click();
    const panel = page.getByTestId('staff-panel');
    await panel.waitFor();
    await panel.getByTestId('staff-new').click();
    const form = page.getByTestId('staff-form');
    const email = `roster.e2e.${Date.now()}@example.org`;
    await form.locator('input[name=name]').fill('新来的网格员');
    await form.locator('input[name=email]').fill(email);
    await form.locator('select[name=role]').selectOption({ label: '网格员' });
    await form.locator('select[name=community]').selectOption({ label: '贤士社区' });
    await form.getByLabel('贤士社区第二网格').check();
    await form.getByTestId('staff-save').click();

    const secret = page.getByTestId('staff-secret');
    await secret.waitFor();
    const password = (await secret.getByTestId('staff-password').textContent())!;
    expect(password).toMatch(/^[A-Za-z0-9]{14}$/);
    expect(await secret.getByRole('button', { name: '复制' }).count()).toBe(1);
    await secret.getByTestId('staff-secret-done').click();
    // Shown once: gone from the page, and nowhere else to be found.
    expect(await page.getByTestId('staff-secret').count()).toBe(0);
    expect(await page.locator('body').textContent()).not.toContain(password);

    await panel.getByTestId('staff-search').fill(email);
    const item = panel.locator(`[data-testid="staff-item"][data-email="${email}"]`);
    expect(await item.textContent()).toContain('贤士社区 · 贤士社区第二网格');
    expect(await item.getByTestId('staff-state').textContent()).toBe('在岗');
    await item.getByTestId('staff-toggle-active').click();
    await item.getByTestId('staff-state').filter({ hasText: '已停用' }).waitFor();

    // The account is closed: its one-time password no longer signs in.
    const login = await fetch(new URL('/api/auth/login', product.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    expect(login.status).toBe(401);
    expect(((await login.json()) as any).error.code).toBe('account_disabled');
    // Both changes are in the audit log, with who made them.
    const leader = (await api('/api/auth/login', { email: 'street@demo.local', password: DEMO_PASSWORD })).access_token as string;
    const audit = (await (
      await fetch(new URL('/api/audit?limit=50', product.url), { headers: { authorization: `Bearer ${leader}` } })
    ).json()) as any;
    const mine = audit.entries.filter((e: any) => e.table === 'staff' && e.staffName === '罗慧');
    expect(mine[0]).toMatchObject({ action: 'update', newValues: { active: false } });
    const person = mine[0].rowIds[0];
    expect(mine.filter((e: any) => e.rowIds[0] === person).map((e: any) => e.action)).toContain('insert');
  });
});

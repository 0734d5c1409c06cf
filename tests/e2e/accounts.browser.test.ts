import { expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../support/fixtures';
import { chromiumPrerequisite, describeWith } from '../support/prerequisites';
import { useBrowserSuite, type Driver, type Product } from './driver';

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
});

/**
 * Live updates: a committed change reaches an open event stream within the time a map needs to
 * recolour (the issue asks for 2 s), on both database modes; a rolled-back one never does.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { readEnv } from '../../api/env';
import { enterAsCaller } from '../../api/lib/request-db';
import { CHANGE_CHANNEL, ChangeFeed } from '../../api/live/change-feed';
import { claimsOf, ROLE_ACCOUNTS, signedIn } from '../support/callers';
import { inRolledBackTransaction } from '../support/databases';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';

describeEachDatabase('live updates', (_mode, db) => {
  let changes: ChangeFeed;
  beforeAll(() => {
    changes = new ChangeFeed(db());
  });
  afterAll(() => changes.close());
  const app = (heartbeatMs?: number) =>
    createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET, changes, heartbeatMs });

  /** Opens the stream as a browser would (fetch + bearer token) and collects its events. */
  async function openStream(email: string, heartbeatMs?: number) {
    const controller = new AbortController();
    const res = await signedIn(app(heartbeatMs), db(), email).request('/api/events', { signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    const events: { event: string; data: any }[] = [];
    let buffer = '';
    const pump = (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
        if (done) return;
        buffer += value;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
          const data = /^data: (.*)$/m.exec(block)?.[1] ?? '';
          events.push({ event, data: JSON.parse(data) });
        }
      }
    })();
    const waitFor = async (pred: (e: { event: string; data: any }) => boolean, ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        const hit = events.find(pred);
        if (hit) return hit;
        await new Promise((r) => setTimeout(r, 20));
      }
      return undefined;
    };
    await waitFor((e) => e.event === 'ready', 5000);
    let ended = false;
    void pump.then(() => (ended = true));
    return {
      events,
      waitFor,
      /** Whether the server ended the stream within `ms`. */
      async endsWithin(ms: number) {
        const until = Date.now() + ms;
        while (!ended && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
        return ended;
      },
      async close() {
        controller.abort();
        await reader.cancel().catch(() => undefined);
        await pump;
      },
    };
  }

  it('refuses the stream without a token', async () => {
    expect((await app().request('/api/events')).status).toBe(401);
  });

  it("ends an open stream at its next heartbeat once the account is disabled, and keeps a colleague's open", async () => {
    const member = await openStream(ROLE_ACCOUNTS.grid_member, 150);
    const leader = await openStream(ROLE_ACCOUNTS.grid_leader, 150);
    try {
      expect(await member.endsWithin(400)).toBe(false);
      await db().query('update public.staff set active = false where email = $1', [ROLE_ACCOUNTS.grid_member]);
      expect(await member.endsWithin(2000)).toBe(true);
      expect(await leader.endsWithin(400)).toBe(false);
    } finally {
      await db().query('update public.staff set active = true where email = $1', [ROLE_ACCOUNTS.grid_member]);
      await member.close();
      await leader.close();
    }
  });

  it('tells an open map within 2 seconds that a grid changed when a visit is committed', async () => {
    const stream = await openStream(ROLE_ACCOUNTS.street_leader);
    try {
      const [h] = await db().query<{ id: number; grid_id: number }>(
        `select h.id, b.grid_id from public.households h join public.buildings b on b.id = h.building_id
         join public.staff_grids sg on sg.grid_id = b.grid_id join public.staff s on s.id = sg.staff_id
         where s.email = $1 and h.moved_out is null limit 1`,
        [ROLE_ACCOUNTS.grid_member],
      );
      // Claims first: inside the transaction, a query on db() would wait for it (PGlite has one connection).
      const member = await claimsOf(db(), ROLE_ACCOUNTS.grid_member);
      const started = Date.now();
      await db().transaction(async (tx) => {
        await enterAsCaller(tx, member);
        await tx.query(
          `insert into public.visits (household_id, visitor_id, visited_at, method, result)
           values ($1, (select staff_id from minqing.my_staff()), now(), 'in_person', 'met')`,
          [h!.id],
        );
      });
      const hit = await stream.waitFor((e) => e.event === 'change' && e.data.gridIds.includes(h!.grid_id), 2000);
      expect(hit?.data.tables).toContain('visits');
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await stream.close();
    }
  });

  it('announces a bulk write once per grid it touches, for visits, patrols and issue events alike', async () => {
    const messages: { table: string; gridId: number | null }[] = [];
    const stop = await db().listen(CHANGE_CHANNEL, (payload) => messages.push(JSON.parse(payload)));
    // The server's feed folds them into its next message; waiting for that keeps it out of the next test's stream.
    const folded = new Set<number>();
    const unsubscribe = await changes.subscribe((c) => c.gridIds.forEach((g) => folded.add(g)));
    try {
      // Three households in each of three grids, and an issue of a fourth.
      const households = await db().query<{ id: number; grid_id: number }>(
        `select id, grid_id from (
           select h.id, b.grid_id, row_number() over (partition by b.grid_id order by h.id) as n
           from public.households h join public.buildings b on b.id = h.building_id
           where b.grid_id in (select id from public.grids order by id limit 3)) x
         where n <= 3`,
      );
      const [issue] = await db().query<{ id: number; grid_id: number }>(
        `select id, grid_id from public.issues where grid_id not in (select id from public.grids order by id limit 3) limit 1`,
      );
      await db().transaction(async (tx) => {
        await tx.query(
          `insert into public.visits (household_id, visitor_id, visited_at, method, result)
           select h, (select min(id) from public.staff), now(), 'in_person', 'met' from unnest($1::int[]) h`,
          [households.map((h) => h.id)],
        );
        await tx.query(
          `insert into public.patrols (grid_id, staff_id, started_at)
           select g, (select min(id) from public.staff), now() - interval '1 hour' from unnest($1::int[]) g, generate_series(1, 2)`,
          [[...new Set(households.map((h) => h.grid_id))]],
        );
        await tx.query(
          `insert into public.issue_events (issue_id, at, actor_id, from_status, to_status, note)
           select id, now(), (select min(id) from public.staff), status, status, n from public.issues, unnest(array['已电话回访', '再次回访']) n
           where id = $1`,
          [issue!.id],
        );
      });
      const grids = [...new Set(households.map((h) => h.grid_id))].sort((a, b) => a - b);
      const expected = [
        ...grids.map((gridId) => ({ table: 'visits', gridId })),
        ...grids.map((gridId) => ({ table: 'patrols', gridId })),
        { table: 'issue_events', gridId: issue!.grid_id },
      ];
      const until = Date.now() + 5000;
      while (!expected.every((m) => folded.has(m.gridId)) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      const key = (m: { table: string; gridId: number | null }) => `${m.table}:${m.gridId}`;
      expect(grids).toHaveLength(3);
      expect(messages.map(key).sort()).toEqual(expected.map(key).sort());
    } finally {
      unsubscribe();
      await stop();
    }
  });

  it('says nothing of a change that was rolled back', async () => {
    const stream = await openStream(ROLE_ACCOUNTS.street_leader);
    try {
      await inRolledBackTransaction(db(), (tx) =>
        tx.query(`insert into public.patrols (grid_id, staff_id, started_at) values (1, 1, now() - interval '1 hour')`),
      );
      expect(await stream.waitFor((e) => e.event === 'change', 1000)).toBeUndefined();
    } finally {
      await stream.close();
    }
  });
});

/**
 * Meetings and their decisions in the database itself: the community's staff write their own
 * community's minutes, nobody else does; the street's staff and the presenter read them; no
 * other street sees them. Every case in a rolled-back transaction.
 */
import { beforeAll, expect, it } from 'vitest';
import type { Queryable } from '../../api/db/database';
import { type Claims, enterAsCaller } from '../../api/lib/request-db';
import { claimsOf, DEMO_ROLES, type DemoRole, ROLE_ACCOUNTS, strangerClaims } from '../support/callers';
import { inRolledBackTransaction } from '../support/databases';
import { describeEachDatabase } from '../support/each-database';

describeEachDatabase('meetings row-level security', (_mode, db) => {
  const claims = {} as Record<DemoRole, Claims>;
  let own: { community: number; grid: number; staff: number };
  let otherCommunity: { community: number; grid: number };

  beforeAll(async () => {
    for (const role of DEMO_ROLES) claims[role] = await claimsOf(db(), ROLE_ACCOUNTS[role]);
    const [me] = await db().query<{ id: number; community_id: number }>('select id, community_id from public.staff where email = $1', [
      ROLE_ACCOUNTS.community_staff,
    ]);
    const [g] = await db().query<{ id: number }>('select id from public.grids where community_id = $1 order by id limit 1', [
      me!.community_id,
    ]);
    const [o] = await db().query<{ id: number; community_id: number }>(
      'select id, community_id from public.grids where community_id <> $1 order by id limit 1',
      [me!.community_id],
    );
    own = { community: me!.community_id, grid: g!.id, staff: me!.id };
    otherCommunity = { community: o!.community_id, grid: o!.id };
  });

  const as = <T>(who: Claims | null, fn: (tx: Queryable) => Promise<T>) =>
    inRolledBackTransaction(db(), async (tx) => {
      if (who) await enterAsCaller(tx, who);
      return fn(tx);
    });
  const outcome = (p: Promise<unknown>) =>
    p.then(
      () => 'allowed',
      (e: Error) => e.message,
    );
  const insertMeeting = (tx: Queryable, community: number) =>
    tx.query<{ id: number }>(
      `insert into public.meetings (community_id, month, held_on, type) values ($1, '2026-10', '2026-11-03', 'analysis') returning id`,
      [community],
    );
  const insertAction = (tx: Queryable, meeting: number, grid: number) =>
    tx.query<{ id: number }>(
      `insert into public.meeting_actions (meeting_id, grid_id, decision, owner_id, due_on) values ($1, $2, '补访逾期户', $3, '2026-11-30') returning id`,
      [meeting, grid, own.staff],
    );
  /** A meeting with one action of the community staff's community, made by the owner, then the caller's view. */
  const withMeeting = <T>(who: Claims, fn: (tx: Queryable, ids: { meeting: number; action: number }) => Promise<T>) =>
    as(null, async (tx) => {
      const [m] = await insertMeeting(tx, own.community);
      const [a] = await insertAction(tx, m!.id, own.grid);
      await enterAsCaller(tx, who);
      return fn(tx, { meeting: m!.id, action: a!.id });
    });

  it("lets community staff record their own community's meeting and decisions, and mark them done", async () => {
    const result = await as(claims.community_staff, async (tx) => {
      const [m] = await insertMeeting(tx, own.community);
      const [a] = await insertAction(tx, m!.id, own.grid);
      const updated = await tx.query(`update public.meeting_actions set done = true, done_on = '2026-11-20' where id = $1 returning id`, [
        a!.id,
      ]);
      return updated.length;
    });
    expect(result).toBe(1);
  });

  it("refuses community staff another community's meeting, and a decision for another community's grid", async () => {
    expect(await as(claims.community_staff, (tx) => outcome(insertMeeting(tx, otherCommunity.community)))).toMatch(/row-level security/);
    expect(
      await as(claims.community_staff, async (tx) => {
        const [m] = await insertMeeting(tx, own.community);
        return outcome(insertAction(tx, m!.id, otherCommunity.grid));
      }),
    ).toMatch(/row-level security/);
  });

  it.each(['street_leader', 'grid_leader', 'grid_member', 'presenter'] as const)(
    'refuses %s writing meetings and decisions',
    async (role) => {
      expect(await as(claims[role], (tx) => outcome(insertMeeting(tx, own.community)))).toMatch(/row-level security/);
      expect(await withMeeting(claims[role], (tx, ids) => outcome(insertAction(tx, ids.meeting, own.grid)))).toMatch(/row-level security/);
      const changed = await withMeeting(claims[role], (tx, ids) =>
        tx.query(`update public.meeting_actions set done = true, done_on = '2026-11-20' where id = $1 returning id`, [ids.action]),
      );
      expect(changed).toEqual([]);
    },
  );

  it.each(DEMO_ROLES)('lets %s of the street read the meeting and its decisions', async (role) => {
    const seen = await withMeeting(claims[role], async (tx, ids) => ({
      meetings: (await tx.query('select id from public.meetings where id = $1', [ids.meeting])).length,
      actions: (await tx.query('select id from public.meeting_actions where id = $1', [ids.action])).length,
    }));
    expect(seen).toEqual({ meetings: 1, actions: 1 });
  });

  it('hides meetings from a signed-in user without a staff record', async () => {
    const seen = await withMeeting(strangerClaims(), async (tx, ids) => ({
      meetings: (await tx.query('select id from public.meetings where id = $1', [ids.meeting])).length,
      actions: (await tx.query('select id from public.meeting_actions where id = $1', [ids.action])).length,
    }));
    expect(seen).toEqual({ meetings: 0, actions: 0 });
  });
});

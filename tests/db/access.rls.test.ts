/**
 * The access matrix, in the database itself: every role against every table and view, both what
 * it may do and what it is refused. Expected counts are computed as the owner from the scope
 * data (staff_grids, communities), never typed in.
 */
import { beforeAll, expect, it } from 'vitest';
import type { Queryable } from '../../api/db/database';
import { ANONYMOUS, type Claims, enterAsCaller } from '../../api/lib/request-db';
import { claimsOf, DEMO_ROLES, type DemoRole, ROLE_ACCOUNTS, strangerClaims } from '../support/callers';
import { inRolledBackTransaction } from '../support/databases';
import { describeEachDatabase } from '../support/each-database';

const PERSONAL_TABLES = ['households', 'visits', 'issues', 'issue_events', 'patrols'] as const;
const MAP_TABLES = ['streets', 'communities', 'grids', 'buildings', 'roads', 'visit_policies'] as const;
const RECORD_VIEWS = ['household_records', 'visit_records', 'issue_records'] as const;

describeEachDatabase('row-level security', (_mode, db) => {
  const claims = {} as Record<DemoRole, Claims>;
  /** The owner's view of the scope: which grids each account serves, and counts per scope. */
  let scope: {
    memberGrids: number[];
    otherGrid: number;
    community: number;
    communityGrids: number[];
    householdIn: number;
    householdOut: number;
  };

  beforeAll(async () => {
    for (const role of DEMO_ROLES) claims[role] = await claimsOf(db(), ROLE_ACCOUNTS[role]);
    const memberGrids = (
      await db().query<{ grid_id: number }>(
        `select sg.grid_id from public.staff_grids sg join public.staff s on s.id = sg.staff_id where s.email = $1 order by 1`,
        [ROLE_ACCOUNTS.grid_member],
      )
    ).map((r) => r.grid_id);
    const [c] = await db().query<{ community_id: number }>('select community_id from public.staff where email = $1', [
      ROLE_ACCOUNTS.community_staff,
    ]);
    const communityGrids = (
      await db().query<{ id: number }>('select id from public.grids where community_id = $1 order by id', [c!.community_id])
    ).map((r) => r.id);
    const [other] = await db().query<{ id: number }>('select id from public.grids where community_id <> $1 order by id limit 1', [
      c!.community_id,
    ]);
    const householdInGrid = async (inside: boolean) =>
      (
        await db().query<{ id: number }>(
          `select h.id from public.households h join public.buildings b on b.id = h.building_id
           where (b.grid_id = any($1::int[])) = $2 and b.grid_id is not null order by h.id limit 1`,
          [memberGrids, inside],
        )
      )[0]!.id;
    scope = {
      memberGrids,
      otherGrid: other!.id,
      community: c!.community_id,
      communityGrids,
      householdIn: await householdInGrid(true),
      householdOut: await householdInGrid(false),
    };
    expect(memberGrids.length).toBeGreaterThan(0);
  });

  /** Runs fn as the caller inside a transaction that is always rolled back. */
  const as = <T>(who: Claims, fn: (tx: Queryable) => Promise<T>) =>
    inRolledBackTransaction(db(), async (tx) => {
      await enterAsCaller(tx, who);
      return fn(tx);
    });
  const count = (tx: Queryable, from: string) => tx.query<{ n: number }>(`select count(*)::int as n from ${from}`).then((r) => r[0]!.n);
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => 'allowed',
      (e: Error) => e.message,
    );
  const ownerCount = (sql: string, params: unknown[]) =>
    db()
      .query<{ n: number }>(sql, params)
      .then((r) => r[0]!.n);
  const householdsInGrids = (grids: number[]) =>
    ownerCount(
      'select count(*)::int n from public.households h join public.buildings b on b.id = h.building_id where b.grid_id = any($1::int[])',
      [grids],
    );

  // --- the anonymous role -------------------------------------------------------------------

  it('refuses the anonymous role every table, view and aggregate', async () => {
    for (const t of [...MAP_TABLES, ...PERSONAL_TABLES, ...RECORD_VIEWS, 'staff', 'staff_grids', 'audit_records', 'audit_log']) {
      expect(await as(ANONYMOUS, (tx) => refusal(count(tx, `public.${t}`))), t).toMatch(/permission denied/);
    }
    for (const f of [
      'public.grid_stats(current_date)',
      'public.grid_household_counts()',
      'public.grid_overdue_households(1, current_date)',
    ]) {
      expect(await as(ANONYMOUS, (tx) => refusal(count(tx, f))), f).toMatch(/permission denied/);
    }
  });

  it('shows a signed-in user without a staff record nothing', async () => {
    const stranger = strangerClaims();
    for (const t of [...MAP_TABLES, ...PERSONAL_TABLES, ...RECORD_VIEWS, 'staff', 'audit_records']) {
      expect(await as(stranger, (tx) => count(tx, `public.${t}`)), t).toBe(0);
    }
  });

  // --- the map: every role of the street ----------------------------------------------------

  it('lets every role of the street read the whole map', async () => {
    for (const role of DEMO_ROLES) {
      for (const t of MAP_TABLES) {
        const [owner, mine] = [await count(db(), `public.${t}`), await as(claims[role], (tx) => count(tx, `public.${t}`))];
        expect(mine, `${role} reads ${t}`).toBe(owner);
      }
    }
  });

  // --- households ---------------------------------------------------------------------------

  it('gives full household rows to the grid team for their grids and to community staff for their community', async () => {
    const memberExpected = await householdsInGrids(scope.memberGrids);
    const communityExpected = await householdsInGrids(scope.communityGrids);
    expect(await as(claims.grid_member, (tx) => count(tx, 'public.households'))).toBe(memberExpected);
    expect(await as(claims.grid_leader, (tx) => count(tx, 'public.households'))).toBeGreaterThan(0);
    expect(await as(claims.community_staff, (tx) => count(tx, 'public.households'))).toBe(communityExpected);
    expect(communityExpected).toBeGreaterThan(memberExpected);
  });

  it('refuses full household rows to the street leader and the presenter', async () => {
    expect(await as(claims.street_leader, (tx) => count(tx, 'public.households'))).toBe(0);
    expect(await as(claims.presenter, (tx) => count(tx, 'public.households'))).toBe(0);
  });

  it('does not let a grid member read a household of another grid, even by its id', async () => {
    const rows = await as(claims.grid_member, (tx) => tx.query('select * from public.households where id = $1', [scope.householdOut]));
    expect(rows).toEqual([]);
    const viaView = await as(claims.grid_member, (tx) =>
      tx.query('select * from public.household_records where id = $1', [scope.householdOut]),
    );
    expect(viaView).toEqual([]);
  });

  it('shows the street leader every household of the street, masked', async () => {
    const rows = await as(claims.street_leader, (tx) =>
      tx.query<{ head_name: string; phone: string | null; masked: boolean }>(
        'select head_name, phone, masked from public.household_records',
      ),
    );
    expect(rows.length).toBe(
      await ownerCount(
        'select count(*)::int n from public.households h join public.buildings b on b.id = h.building_id where b.grid_id is not null',
        [],
      ),
    );
    expect(rows.every((r) => r.masked && r.head_name.includes('*'))).toBe(true);
    expect(rows.filter((r) => r.phone).every((r) => /^\d{3}\*{4}\d{4}$/.test(r.phone!))).toBe(true);
  });

  it('shows the grid team their own households unmasked in the records view', async () => {
    const [row] = await as(claims.grid_member, (tx) =>
      tx.query<{ head_name: string; masked: boolean }>('select head_name, masked from public.household_records where id = $1', [
        scope.householdIn,
      ]),
    );
    const [truth] = await db().query<{ head_name: string }>('select head_name from public.households where id = $1', [scope.householdIn]);
    expect(row).toEqual({ head_name: truth!.head_name, masked: false });
  });

  it('masks everything for a presentation request, whatever the role', async () => {
    const presenting = { ...claims.community_staff, presentation: true };
    expect(await as(presenting, (tx) => count(tx, 'public.households'))).toBe(0);
    const rows = await as(presenting, (tx) => tx.query<{ masked: boolean }>('select masked from public.household_records'));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.masked)).toBe(true);
  });

  it('never shows the presenter a row that names a person', async () => {
    for (const t of [...PERSONAL_TABLES, ...RECORD_VIEWS, 'audit_records']) {
      expect(await as(claims.presenter, (tx) => count(tx, `public.${t}`)), t).toBe(0);
    }
    // Colleagues' records are not for the projector either; its own record is.
    expect(await as(claims.presenter, (tx) => count(tx, 'public.staff'))).toBe(1);
    expect(await as(claims.presenter, (tx) => count(tx, `public.grid_overdue_households(${scope.memberGrids[0]}, current_date)`))).toBe(0);
  });

  it('lets grid leaders and community staff edit households in scope, and nobody else', async () => {
    const edit = (who: Claims, id: number) =>
      as(who, (tx) => tx.query(`update public.households set members = members where id = $1 returning id`, [id]).then((r) => r.length));
    expect(await edit(claims.grid_leader, scope.householdIn)).toBe(1);
    expect(await edit(claims.community_staff, scope.householdIn)).toBe(1);
    expect(await edit(claims.grid_member, scope.householdIn)).toBe(0);
    expect(await edit(claims.street_leader, scope.householdIn)).toBe(0);
    expect(await edit(claims.presenter, scope.householdIn)).toBe(0);
    expect(await edit(claims.grid_leader, scope.householdOut)).toBe(0);
  });

  it('does not let a grid leader move a household out of their scope', async () => {
    const [outside] = await db().query<{ id: number }>('select id from public.buildings where grid_id <> all($1::int[]) limit 1', [
      scope.memberGrids,
    ]);
    const moved = await as(claims.grid_leader, (tx) =>
      refusal(tx.query('update public.households set building_id = $1 where id = $2', [outside!.id, scope.householdIn])),
    );
    expect(moved).toMatch(/row-level security/);
  });

  // --- visits, patrols, issues -------------------------------------------------------------

  const logVisit = (who: Claims, householdId: number, visitorEmail: string) =>
    as(who, (tx) =>
      refusal(
        tx.query(
          `insert into public.visits (household_id, visitor_id, visited_at, method, result)
           values ($1, (select id from public.staff where email = $2), now(), 'in_person', 'met')`,
          [householdId, visitorEmail],
        ),
      ),
    );

  it('lets a grid member log a visit as themself in their grid', async () => {
    expect(await logVisit(claims.grid_member, scope.householdIn, ROLE_ACCOUNTS.grid_member)).toBe('allowed');
  });

  it("refuses a visit logged in someone else's name, outside the grid, or by the presenter", async () => {
    expect(await logVisit(claims.grid_member, scope.householdIn, ROLE_ACCOUNTS.grid_leader)).toMatch(/row-level security/);
    expect(await logVisit(claims.grid_member, scope.householdOut, ROLE_ACCOUNTS.grid_member)).toMatch(/row-level security/);
    expect(await logVisit(claims.presenter, scope.householdIn, ROLE_ACCOUNTS.presenter)).toMatch(/row-level security/);
    expect(await logVisit(claims.street_leader, scope.householdIn, ROLE_ACCOUNTS.street_leader)).toMatch(/row-level security/);
  });

  it('scopes visits, issues and patrols like households', async () => {
    const visitsIn = await ownerCount(
      `select count(*)::int n from public.visits v join public.households h on h.id = v.household_id
       join public.buildings b on b.id = h.building_id where b.grid_id = any($1::int[])`,
      [scope.memberGrids],
    );
    const issuesIn = await ownerCount('select count(*)::int n from public.issues where grid_id = any($1::int[])', [scope.memberGrids]);
    const patrolsIn = await ownerCount('select count(*)::int n from public.patrols where grid_id = any($1::int[])', [scope.memberGrids]);
    expect(await as(claims.grid_member, (tx) => count(tx, 'public.visits'))).toBe(visitsIn);
    expect(await as(claims.grid_member, (tx) => count(tx, 'public.issues'))).toBe(issuesIn);
    expect(await as(claims.grid_member, (tx) => count(tx, 'public.patrols'))).toBe(patrolsIn);
    expect(await as(claims.street_leader, (tx) => count(tx, 'public.visits'))).toBe(0);
    expect(await as(claims.street_leader, (tx) => count(tx, 'public.issues'))).toBe(0);
    expect(await as(claims.street_leader, (tx) => count(tx, 'public.issue_records'))).toBe(await count(db(), 'public.issues'));
    expect(await as(claims.street_leader, (tx) => count(tx, 'public.patrols'))).toBe(await count(db(), 'public.patrols'));
  });

  it('masks reporter contacts and visit notes for the street leader', async () => {
    const issues = await as(claims.street_leader, (tx) =>
      tx.query<{ reporter_name: string | null; reporter_contact: string | null; masked: boolean }>(
        'select reporter_name, reporter_contact, masked from public.issue_records where reporter_name is not null limit 50',
      ),
    );
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.every((i) => i.masked && i.reporter_name!.includes('*'))).toBe(true);
    const notes = await as(claims.street_leader, (tx) =>
      tx.query<{ notes: string }>('select notes from public.visit_records where notes is not null limit 50'),
    );
    expect(notes.length).toBeGreaterThan(0);
    expect(new Set(notes.map((n) => n.notes))).toEqual(new Set(['***']));
  });

  it('lets only the grid team register issues in their grid', async () => {
    const register = (who: Claims, grid: number) =>
      as(who, (tx) =>
        refusal(
          tx.query(
            `insert into public.issues (reg_no, category, description, location, grid_id, complexity, tier, received_at, due_at)
             values ('209912999', 'other', 'test', ST_PointOnSurface((select boundary from public.grids where id = $1))::geometry(Point, 4326),
                     $1, 'ordinary', 'on_spot', now(), now() + interval '7 days')`,
            [grid],
          ),
        ),
      );
    expect(await register(claims.grid_member, scope.memberGrids[0]!)).toBe('allowed');
    expect(await register(claims.grid_member, scope.otherGrid)).toMatch(/row-level security/);
    expect(await register(claims.presenter, scope.memberGrids[0]!)).toMatch(/row-level security/);
  });

  // --- staff and scopes ---------------------------------------------------------------------

  it('lets community staff assign grids in their community only', async () => {
    const assign = (grid: number) =>
      as(claims.community_staff, (tx) =>
        refusal(
          tx.query(`insert into public.staff_grids (staff_id, grid_id) select id, $1 from public.staff where email = $2`, [
            grid,
            ROLE_ACCOUNTS.community_staff,
          ]),
        ),
      );
    const spare = scope.communityGrids.find((g) => !scope.memberGrids.includes(g))!;
    expect(await assign(spare)).toBe('allowed');
    expect(await assign(scope.otherGrid)).toMatch(/row-level security/);
    expect(
      await as(claims.grid_leader, (tx) =>
        refusal(
          tx.query(`insert into public.staff_grids (staff_id, grid_id) select id, $1 from public.staff where email = $2`, [
            spare,
            ROLE_ACCOUNTS.grid_leader,
          ]),
        ),
      ),
    ).toMatch(/row-level security/);
  });

  it('refuses a staff member promoting themself to street leader', async () => {
    const r = await as(claims.community_staff, (tx) =>
      refusal(tx.query(`update public.staff set role = 'street_leader' where email = $1`, [ROLE_ACCOUNTS.community_staff])),
    );
    expect(r).toMatch(/row-level security/);
    const g = await as(claims.grid_leader, (tx) =>
      tx.query(`update public.staff set role = 'community_staff' where email = $1 returning id`, [ROLE_ACCOUNTS.grid_leader]),
    );
    expect(g).toEqual([]);
  });

  // --- audit ------------------------------------------------------------------------------

  it('logs a change with old and new values, readable by community staff and, masked, by the street leader', async () => {
    await inRolledBackTransaction(db(), async (tx) => {
      await enterAsCaller(tx, claims.grid_leader);
      await tx.query(`update public.households set phone = '13912345678' where id = $1`, [scope.householdIn]);
      await tx.query('reset role');
      await enterAsCaller(tx, claims.community_staff);
      const [full] = await tx.query<{ action: string; new_values: { phone: string }; old_values: { phone: string } }>(
        `select action, old_values, new_values from public.audit_records where table_name = 'households' and $1 = any(row_ids) order by id desc limit 1`,
        [scope.householdIn],
      );
      expect(full).toMatchObject({ action: 'update', new_values: { phone: '13912345678' } });
      await tx.query('reset role');
      await enterAsCaller(tx, claims.street_leader);
      const [masked] = await tx.query<{ new_values: { phone: string; head_name: string } }>(
        `select new_values from public.audit_records where table_name = 'households' and $1 = any(row_ids) order by id desc limit 1`,
        [scope.householdIn],
      );
      expect(masked!.new_values.phone).toBe('139****5678');
      await tx.query('reset role');
      await enterAsCaller(tx, claims.grid_member);
      expect(await count(tx, 'public.audit_records')).toBe(0);
      expect(await refusal(count(tx, 'public.audit_log'))).toMatch(/permission denied/);
    });
  });

  it('keeps the audit log append-only, even for its owner', async () => {
    await inRolledBackTransaction(db(), async (tx) => {
      await tx.query(`insert into public.audit_log (action, table_name) values ('insert', 'test')`);
      await expect(tx.query(`update public.audit_log set reason = 'rewritten'`)).rejects.toThrow(/append-only/);
    });
    await inRolledBackTransaction(db(), async (tx) => {
      await tx.query(`insert into public.audit_log (action, table_name) values ('insert', 'test')`);
      await expect(tx.query(`delete from public.audit_log`)).rejects.toThrow(/append-only/);
    });
  });

  // --- revealing personal data ------------------------------------------------------------

  it('lets the street leader reveal one household with a reason, and logs it', async () => {
    const result = await as(claims.street_leader, async (tx) => {
      const [row] = await tx.query<{ head_name: string }>('select head_name from public.reveal_household($1, $2)', [
        scope.householdIn,
        '核实低保申请',
      ]);
      const [log] = await tx.query<{ action: string; reason: string }>(
        `select action, reason from public.audit_records where $1 = any(row_ids) and action = 'view_personal'`,
        [scope.householdIn],
      );
      return { row, log };
    });
    const [truth] = await db().query<{ head_name: string }>('select head_name from public.households where id = $1', [scope.householdIn]);
    expect(result.row!.head_name).toBe(truth!.head_name);
    expect(result.log).toEqual({ action: 'view_personal', reason: '核实低保申请' });
  });

  it('refuses a reveal without a reason, during a presentation, by the presenter, or outside the scope', async () => {
    const reveal = (who: Claims, id: number, reason: string | null) =>
      as(who, (tx) => refusal(tx.query('select * from public.reveal_household($1, $2)', [id, reason])));
    expect(await reveal(claims.street_leader, scope.householdIn, ' ')).toMatch(/reason is required/);
    expect(await reveal({ ...claims.street_leader, presentation: true }, scope.householdIn, '核实')).toMatch(/presentation/);
    expect(await reveal(claims.presenter, scope.householdIn, '核实')).toMatch(/not in your scope/);
    expect(await reveal(claims.grid_member, scope.householdOut, '核实')).toMatch(/not in your scope/);
  });
});

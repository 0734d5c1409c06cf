/**
 * Loads a generated demo street (geo/demo) into an empty database. This is one of the two named
 * server tasks that run as the owner role (the other is migrating): it writes rows no API role
 * could, in one transaction, so a failed seed leaves the database empty rather than half-filled.
 */

import { randomUUID } from 'node:crypto';
import type { DemoStreet } from '../../geo/demo/demo-street.types';
import { generateDemoStreet } from '../../geo/demo/street.generator';
import { DEFAULT_POLICY } from '../../geo/domain/visit-policy';
import { hashPassword } from '../auth/password';
import type { Database, Queryable } from './database';
import { rebuildStats } from './stats-rollups';

/** Rows per statement: keeps each JSON parameter to a few MB on the embedded database. */
const CHUNK = 20_000;

async function insertRows(tx: Queryable, rows: readonly object[], sql: string): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    try {
      await tx.query(sql, [JSON.stringify(rows.slice(i, i + CHUNK))]);
    } catch (err) {
      const target = /(?:insert into|update) (public\.\w+)/.exec(sql)?.[1] ?? 'a table';
      throw new Error(`Seeding ${target} (rows ${i + 1}–${Math.min(i + CHUNK, rows.length)}) failed: ${(err as Error).message}`);
    }
  }
}

// A JSON null in a jsonb column of jsonb_to_recordset is the jsonb value 'null', not SQL NULL,
// hence the jsonb_typeof tests on optional geometries below.
const geom = (col: string) => `ST_SetSRID(ST_GeomFromGeoJSON(${col}), 4326)`;

/**
 * `accounts: false` skips the demo sign-in accounts: a district's further streets (geo/demo/
 * district.generator.ts) have no staff with the demo addresses, only its first street does.
 */
export async function loadDemoStreet(tx: Queryable, s: DemoStreet, { accounts = true }: { accounts?: boolean } = {}): Promise<void> {
  await tx.query(
    `insert into public.streets (id, code, name, boundary, is_demo)
     values ($1, $2, $3, ${geom('$4')}, true)`,
    [s.street.id, s.street.code, s.street.name, JSON.stringify(s.street.boundary)],
  );
  await insertRows(
    tx,
    s.communities,
    `insert into public.communities (id, street_id, code, name, boundary)
     select id, "streetId", code, name, ${geom('boundary::text')}
     from jsonb_to_recordset($1::jsonb) as r(id int, "streetId" int, code text, name text, boundary jsonb)`,
  );
  await insertRows(
    tx,
    s.roads.map((r) => ({ ...r, streetId: s.street.id })),
    `insert into public.roads (id, street_id, name, kind, geom)
     select id, "streetId", name, kind, ${geom('geometry::text')}
     from jsonb_to_recordset($1::jsonb) as r(id int, "streetId" int, name text, kind text, geometry jsonb)`,
  );
  // Leaders are set after staff exist (grids and staff reference each other).
  await insertRows(
    tx,
    s.grids,
    `insert into public.grids (id, community_id, code, name, boundary)
     select id, "communityId", code, name, ${geom('boundary::text')}
     from jsonb_to_recordset($1::jsonb) as r(id int, "communityId" int, code text, name text, boundary jsonb)`,
  );
  // grid_id is not inserted: the buildings_assign_grid trigger derives it from the footprint.
  await insertRows(
    tx,
    s.buildings,
    `insert into public.buildings (id, address, name, floors, footprint)
     select id, address, name, floors, ${geom('footprint::text')}
     from jsonb_to_recordset($1::jsonb) as r(id int, address text, name text, floors int, footprint jsonb)`,
  );
  await insertRows(
    tx,
    s.staff.map((p) => ({ ...p, streetId: s.street.id })),
    `insert into public.staff (id, street_id, community_id, name, phone, email, role)
     select id, "streetId", "communityId", name, phone, email, role::public.staff_role
     from jsonb_to_recordset($1::jsonb) as r(id int, "streetId" int, "communityId" int, name text, phone text, email text, role text)`,
  );
  if (accounts) await createDemoAccounts(tx);
  await insertRows(
    tx,
    s.staff.flatMap((p) => p.gridIds.map((gridId) => ({ staffId: p.id, gridId }))),
    `insert into public.staff_grids (staff_id, grid_id)
     select "staffId", "gridId" from jsonb_to_recordset($1::jsonb) as r("staffId" int, "gridId" int)`,
  );
  await insertRows(
    tx,
    s.grids,
    `update public.grids g set leader_id = r."leaderId"
     from jsonb_to_recordset($1::jsonb) as r(id int, "leaderId" int) where g.id = r.id`,
  );
  await insertRows(
    tx,
    s.households,
    `insert into public.households (id, building_id, unit, room, head_name, phone, members, categories, classification, moved_in, moved_out)
     select id, "buildingId", unit, room, "headName", phone, members,
            array(select jsonb_array_elements_text(categories))::public.household_category[],
            classification::public.household_classification, "movedIn", "movedOut"
     from jsonb_to_recordset($1::jsonb) as r(id int, "buildingId" int, unit text, room text, "headName" text,
          phone text, members int, categories jsonb, classification text, "movedIn" date, "movedOut" date)`,
  );
  await tx.query(
    `insert into public.visit_policies (street_id, community_id, valid_from, settings)
     values ($1, null, '2000-01-01', $2::jsonb)`,
    [s.street.id, JSON.stringify(DEFAULT_POLICY)],
  );
  await insertRows(
    tx,
    s.visits,
    `insert into public.visits (id, household_id, visitor_id, visited_at, method, result, duration_min, notes, location)
     select id, "householdId", "visitorId", "visitedAt", method::public.visit_method, result::public.visit_result,
            "durationMin", notes, case when jsonb_typeof(location) = 'object' then ${geom('location::text')} end
     from jsonb_to_recordset($1::jsonb) as r(id int, "householdId" int, "visitorId" int, "visitedAt" timestamptz,
          method text, result text, "durationMin" int, notes text, location jsonb)`,
  );
  await insertRows(
    tx,
    s.patrols,
    `insert into public.patrols (id, grid_id, staff_id, started_at, ended_at, track)
     select id, "gridId", "staffId", "startedAt", "endedAt", case when jsonb_typeof(track) = 'object' then ${geom('track::text')} end
     from jsonb_to_recordset($1::jsonb) as r(id int, "gridId" int, "staffId" int, "startedAt" timestamptz,
          "endedAt" timestamptz, track jsonb)`,
  );
  await insertRows(
    tx,
    s.issues.map((i) => ({ ...i, reporter: undefined, ...prefix('reporter', i.reporter), events: undefined })),
    `insert into public.issues (id, reg_no, category, description, location, grid_id, building_id, household_id,
       reporter_name, reporter_address, reporter_work_unit, reporter_contact, complexity, tier, status,
       received_at, due_at, closed_at, evaluation)
     select id, "regNo", category::public.issue_category, description, ${geom('location::text')}, "gridId",
            "buildingId", "householdId", "reporterName", "reporterAddress", "reporterWorkUnit", "reporterContact",
            complexity::public.issue_complexity, tier::public.issue_tier, status::public.issue_status,
            "receivedAt", "dueAt", "closedAt", evaluation::public.issue_evaluation
     from jsonb_to_recordset($1::jsonb) as r(id int, "regNo" text, category text, description text, location jsonb,
          "gridId" int, "buildingId" int, "householdId" int, "reporterName" text, "reporterAddress" text,
          "reporterWorkUnit" text, "reporterContact" text, complexity text, tier text, status text,
          "receivedAt" timestamptz, "dueAt" timestamptz, "closedAt" timestamptz, evaluation text)`,
  );
  await insertRows(
    tx,
    s.issues.flatMap((i) => i.events.map((e) => ({ issueId: i.id, ...e }))),
    `insert into public.issue_events (issue_id, at, actor_id, from_status, to_status, note)
     select "issueId", at, "actorId", "from"::public.issue_status, "to"::public.issue_status, note
     from jsonb_to_recordset($1::jsonb) as r("issueId" int, at timestamptz, "actorId" int, "from" text, "to" text, note text)`,
  );
  // Ids were inserted explicitly; move each identity past them so the next insert does not collide.
  for (const table of [
    'streets',
    'communities',
    'roads',
    'grids',
    'buildings',
    'staff',
    'households',
    'visit_policies',
    'visits',
    'patrols',
    'issues',
    'issue_events',
  ]) {
    await tx.query(`select setval(pg_get_serial_sequence('public.${table}', 'id'), greatest((select max(id) from public.${table}), 1))`);
  }
}

/** The demo street's sign-in accounts, one per role; shown on the login page in demo mode only. */
export const DEMO_ACCOUNTS = [
  'street@demo.local',
  'community@demo.local',
  'grid01@demo.local',
  'member01@demo.local',
  'presenter@demo.local',
] as const;
export const DEMO_PASSWORD = 'demo1234';

async function createDemoAccounts(tx: Queryable): Promise<void> {
  // One hash for all five: scrypt is deliberately slow, and the demo password is public anyway.
  const hash = await hashPassword(DEMO_PASSWORD);
  for (const email of DEMO_ACCOUNTS) {
    const userId = randomUUID();
    await tx.query('insert into minqing.local_accounts (user_id, email, password_hash) values ($1, $2, $3)', [userId, email, hash]);
    const updated = await tx.query('update public.staff set user_id = $1 where email = $2 returning id', [userId, email]);
    if (updated.length !== 1) throw new Error(`Seeding: the demo street has no staff member with the email ${email}`);
  }
}

function prefix(name: string, o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [name + k[0]!.toUpperCase() + k.slice(1), v]));
}

export interface SeedResult {
  seeded: boolean;
  counts?: Record<string, number>;
}

/** Seeds the demo street when the database has no street yet; otherwise leaves it alone. */
export async function seedDemoStreetIfEmpty(db: Database, today: string): Promise<SeedResult> {
  const [row] = await db.query<{ n: number }>('select count(*)::int as n from public.streets');
  if ((row?.n ?? 0) > 0) return { seeded: false };
  const street = generateDemoStreet({ today });
  await db.transaction((tx) => loadDemoStreet(tx, street));
  // The rollups for the seed's today, built now rather than by the first map that asks (~10 s
  // on the embedded database): every copy of a seeded database then starts ready.
  await rebuildStats(db, today);
  return {
    seeded: true,
    counts: {
      communities: street.communities.length,
      grids: street.grids.length,
      buildings: street.buildings.length,
      households: street.households.length,
      visits: street.visits.length,
      issues: street.issues.length,
    },
  };
}

-- =============================================================================================
-- Setting up a real street (issue 18): a street starts from its name and 行政区划代码, before any
-- of its geometry is known, and every kind of file a street brings on its first day is an import.
-- =============================================================================================
set check_function_bodies = off;

-- ---------------------------------------------------------------------------------------------
-- Streets
-- A street set up by name and code has no boundary until its communities arrive; the map then
-- frames the communities. The validity check still holds for any boundary that is set.
-- ---------------------------------------------------------------------------------------------
alter table public.streets alter column boundary drop not null;

-- ---------------------------------------------------------------------------------------------
-- Import batches: the kinds of file a street brings on its first day
-- communities and grids (geometry), buildings, the staff roster (花名册), the household ledger,
-- and the history ledgers: visits (走访台账) and matters (民情事项台账).
-- ---------------------------------------------------------------------------------------------
alter table public.import_batches drop constraint import_batches_kind_check;
alter table public.import_batches add constraint import_batches_kind_check
  check (kind in ('communities', 'grids', 'buildings', 'staff', 'households', 'visits', 'issues'));

-- ---------------------------------------------------------------------------------------------
-- Installation administrators
-- A district office's IT runs one installation for several streets. Its administrator creates
-- streets and their first street leader, and nothing else: they are not staff of any street, so
-- every policy that starts from minqing.my_staff() gives them nothing — no grid, no household,
-- no matter, no audit entry of a street. What they do see is counts (installation_streets).
-- Added from the command line (npm run installation-admin), never through the API.
-- ---------------------------------------------------------------------------------------------
create table minqing.installation_admins (
  user_id uuid primary key,
  name text not null,
  created_at timestamptz not null default now()
);

create function minqing.is_installation_admin() returns boolean
language sql stable security definer
set search_path = public, extensions
as $$
  select exists (select 1 from minqing.installation_admins where user_id = auth.uid())
$$;

-- The one way a street and its first street leader come into being, shared by the first
-- setup (run by the server as owner, while no street exists) and public.create_street (an
-- installation administrator). The leader's local sign-in is created with the password hash
-- given; `p_one_time` makes it a password to change at first sign-in. On Supabase the hash is
-- null and the staff record waits for the Auth user with that email (minqing.link_auth_user).
create function minqing.create_street_with_leader(
  p_name text, p_code text, p_leader_name text, p_leader_email text, p_password_hash text, p_one_time boolean
) returns table (street_id integer, staff_id integer, user_id uuid)
language plpgsql volatile security definer
set search_path = public, extensions
as $$
declare
  sid integer;
  lid integer;
  uid uuid := case when p_password_hash is null then null else gen_random_uuid() end;
begin
  insert into public.streets (code, name) values (p_code, p_name) returning id into sid;
  insert into public.staff (user_id, street_id, name, email, role)
  values (uid, sid, p_leader_name, lower(p_leader_email), 'street_leader') returning id into lid;
  if uid is not null then
    insert into minqing.local_accounts (user_id, email, password_hash, must_change_password, password_changed_at)
    values (uid, lower(p_leader_email), p_password_hash, p_one_time, now());
  end if;
  -- Who set the street up: the administrator's user id, or none for the first setup (no caller).
  insert into public.audit_log (user_id, action, table_name, row_ids, street_id, new_values, reason)
  values (auth.uid(), 'insert', 'streets', array[sid], sid,
          jsonb_build_object('code', p_code, 'name', p_name, 'leader_staff_id', lid), 'street_setup');
  return query select sid, lid, uid;
end
$$;

revoke all on function minqing.create_street_with_leader(text, text, text, text, text, boolean) from public;

-- An installation administrator creates a street and its first street leader, whose password
-- is a one-time one. Anyone else — a street leader included — is refused.
create function public.create_street(
  p_name text, p_code text, p_leader_name text, p_leader_email text, p_password_hash text
) returns table (street_id integer, staff_id integer, user_id uuid)
language plpgsql volatile security definer
set search_path = public, extensions
as $$
begin
  if not minqing.is_installation_admin() then
    raise exception 'only an installation administrator creates streets' using errcode = 'insufficient_privilege';
  end if;
  return query select * from minqing.create_street_with_leader(p_name, p_code, p_leader_name, p_leader_email, p_password_hash, true);
end
$$;

revoke all on function public.create_street(text, text, text, text, text) from public;
grant execute on function public.create_street(text, text, text, text, text) to authenticated, service_role;

-- The streets of the installation as its administrator sees them: names, codes and counts,
-- nothing about a person. Empty for anyone else.
create function public.installation_streets()
returns table (id integer, code text, name text, is_demo boolean, created_at timestamptz,
               communities integer, grids integer, staff integer, households integer)
language sql stable security definer
set search_path = public, extensions
as $$
  select s.id, s.code, s.name, s.is_demo, s.created_at,
    (select count(*)::int from public.communities c where c.street_id = s.id),
    (select count(*)::int from public.grids g join public.communities c on c.id = g.community_id where c.street_id = s.id),
    (select count(*)::int from public.staff st where st.street_id = s.id and st.active),
    (select count(*)::int from public.households h join public.buildings b on b.id = h.building_id
       join public.grids g on g.id = b.grid_id join public.communities c on c.id = g.community_id
     where c.street_id = s.id and h.moved_out is null)
  from public.streets s
  where minqing.is_installation_admin()
  order by s.code
$$;

revoke all on function public.installation_streets() from public;
grant execute on function public.installation_streets() to authenticated, service_role;

comment on table minqing.installation_admins is 'Administrators of the installation: create streets and their first leader, see no personal data.';
comment on function public.create_street(text, text, text, text, text) is 'An installation administrator creates a street and its first street leader (one-time password).';
comment on function public.installation_streets() is 'The installation''s streets with counts, for its administrator only.';

grant execute on function minqing.is_installation_admin() to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- The street leader's getting-started checklist
-- Counts only, of the caller's own street, for its street leader (not while presenting): the
-- leader may not read households, visits or matters row by row, and need not to count them.
-- ---------------------------------------------------------------------------------------------
create function public.setup_progress()
returns table (communities integer, grids integer, buildings integer, staff integer, households integer, history integer)
language sql stable security definer
set search_path = public, extensions
as $$
  with me as (
    select m.staff_id, m.street_id from minqing.my_staff() m where m.role = 'street_leader' and not minqing.presenting()
  ),
  street_grids as (
    select g.id, g.retired_at from public.grids g join public.communities c on c.id = g.community_id join me on c.street_id = me.street_id
  ),
  street_households as (
    select h.id, h.moved_out from public.households h
    join public.buildings b on b.id = h.building_id join street_grids g on g.id = b.grid_id
  )
  select
    (select count(*)::int from public.communities c where c.street_id = me.street_id),
    (select count(*)::int from street_grids where retired_at is null),
    (select count(*)::int from public.buildings b join street_grids g on g.id = b.grid_id),
    -- Everyone but the leader who set the street up.
    (select count(*)::int from public.staff s where s.street_id = me.street_id and s.active and s.id <> me.staff_id),
    (select count(*)::int from street_households where moved_out is null),
    (select count(*)::int from public.visits v join street_households h on h.id = v.household_id)
      + (select count(*)::int from public.issues i join street_grids g on g.id = i.grid_id)
  from me
$$;

revoke all on function public.setup_progress() from public;
grant execute on function public.setup_progress() to authenticated, service_role;
comment on function public.setup_progress() is 'The street leader''s getting-started counts for their street; no row for anyone else.';

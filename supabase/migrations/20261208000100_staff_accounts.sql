-- =============================================================================================
-- Staff accounts (issue 18): creating staff with a sign-in, disabling them, and revoking tokens.
--
-- Who may manage whom is one rule, minqing.may_manage_staff(), used by the policies below and by
-- the password functions, so the role ceiling holds in the database whatever calls it: the
-- street leader manages everyone below them in the street (not other street leaders); community
-- staff manage grid leaders, members and colleagues in their own community (the baseline's
-- community policies, unchanged). Nobody manages while presenting.
--
-- Tokens are checked against the database on every request (api/auth/session-check.ts):
-- a local account's token carries the account's token_version, which a password change or
-- reset bumps; a sign-out puts the token's jti on minqing.revoked_tokens; a disabled staff
-- record (staff.active = false) refuses every token of its user.
-- =============================================================================================

alter table minqing.local_accounts
  add column must_change_password boolean not null default false,
  add column token_version integer not null default 0,
  add column password_changed_at timestamptz;

-- Signed-out tokens until they would have expired anyway; expired rows are purged on each sign-out.
create table minqing.revoked_tokens (
  jti uuid primary key,
  user_id uuid not null,
  expires_at timestamptz not null
);
create index revoked_tokens_expires_at_idx on minqing.revoked_tokens (expires_at);

create function minqing.may_manage_staff(p_role public.staff_role, p_street_id integer, p_community_id integer)
returns boolean
language sql stable security definer
set search_path = public, extensions
as $$
  select coalesce((
    select not minqing.presenting() and me.street_id = p_street_id and (
      (me.role = 'street_leader' and p_role in ('community_staff', 'grid_leader', 'grid_member', 'presenter'))
      or (me.role = 'community_staff' and me.community_id = p_community_id
          and p_role in ('community_staff', 'grid_leader', 'grid_member'))
    )
    from minqing.my_staff() me
  ), false)
$$;

create policy "Managers can add staff below them in their scope" on public.staff
  for insert to authenticated with check (minqing.may_manage_staff(role, street_id, community_id));
create policy "Managers can change staff below them in their scope" on public.staff
  for update to authenticated
  using (minqing.may_manage_staff(role, street_id, community_id))
  with check (minqing.may_manage_staff(role, street_id, community_id));

-- Moving someone to another community is a change of scope the street leader makes.
grant update (community_id) on public.staff to authenticated;

create policy "The street leader can assign staff to grids in the street" on public.staff_grids
  for insert to authenticated with check (
    exists (select 1 from minqing.my_staff() me
              join public.communities c on c.street_id = me.street_id
              join public.grids g on g.community_id = c.id
            where me.role = 'street_leader' and g.id = staff_grids.grid_id and not minqing.presenting())
  );
create policy "The street leader can remove assignments in the street" on public.staff_grids
  for delete to authenticated using (
    exists (select 1 from minqing.my_staff() me
              join public.communities c on c.street_id = me.street_id
              join public.grids g on g.community_id = c.id
            where me.role = 'street_leader' and g.id = staff_grids.grid_id and not minqing.presenting())
  );

-- The staff row the caller may manage, or an insufficient_privilege error naming it.
create function minqing.managed_staff(p_staff_id integer, p_what text)
returns public.staff
language plpgsql stable security definer
set search_path = public, extensions
as $$
declare
  target public.staff;
begin
  select * into target from public.staff where id = p_staff_id;
  if target.id is null or not minqing.may_manage_staff(target.role, target.street_id, target.community_id) then
    raise exception 'you may not % staff member %', p_what, p_staff_id using errcode = 'insufficient_privilege';
  end if;
  return target;
end
$$;

-- Sets a staff member's password to a one-time one they must change at first sign-in, creating
-- their local account (and user id) when they have none. Only someone who may manage the person
-- may; the caller's other tokens are untouched, the person's all stop working.
create function minqing.set_initial_password(p_staff_id integer, p_password_hash text)
returns uuid
language plpgsql volatile security definer
set search_path = public, extensions
as $$
declare
  target public.staff;
  uid uuid;
  created boolean := false;
begin
  target := minqing.managed_staff(p_staff_id, 'set the password of');
  if target.email is null then
    raise exception 'staff member % has no email to sign in with', p_staff_id using errcode = 'not_null_violation';
  end if;
  uid := target.user_id;
  if uid is null then
    uid := gen_random_uuid();
    update public.staff set user_id = uid where id = p_staff_id;
  end if;
  insert into minqing.local_accounts (user_id, email, password_hash, must_change_password, password_changed_at)
  values (uid, lower(target.email), p_password_hash, true, now())
  on conflict (user_id) do update
    set password_hash = excluded.password_hash, must_change_password = true,
        token_version = minqing.local_accounts.token_version + 1, password_changed_at = now()
  returning (xmax = 0) into created;
  insert into public.audit_log (user_id, staff_id, action, table_name, row_ids, street_id, community_id, new_values, reason)
  select auth.uid(), me.staff_id, 'update', 'local_accounts', array[p_staff_id], target.street_id, target.community_id,
         jsonb_build_object('must_change_password', true),
         case when created then 'account_created' else 'password_reset' end
  from (select (select staff_id from minqing.my_staff()) as staff_id) me;
  return uid;
end
$$;

-- Supabase: link a new staff record to the Auth user who signs in with its email (GoTrue's
-- auth.users exists only there; elsewhere this is a no-op).
create function minqing.link_auth_user(p_staff_id integer)
returns uuid
language plpgsql volatile security definer
set search_path = public, extensions
as $$
declare
  target public.staff;
  uid uuid;
begin
  target := minqing.managed_staff(p_staff_id, 'link');
  if to_regclass('auth.users') is null or target.email is null then
    return null;
  end if;
  execute 'select id from auth.users where lower(email) = lower($1) limit 1' into uid using target.email;
  if uid is not null then
    update public.staff set user_id = uid where id = p_staff_id and user_id is null;
  end if;
  return uid;
end
$$;

revoke execute on function minqing.may_manage_staff(public.staff_role, integer, integer), minqing.managed_staff(integer, text),
  minqing.set_initial_password(integer, text), minqing.link_auth_user(integer) from public;
grant execute on function minqing.may_manage_staff(public.staff_role, integer, integer), minqing.managed_staff(integer, text),
  minqing.set_initial_password(integer, text), minqing.link_auth_user(integer) to authenticated, service_role;

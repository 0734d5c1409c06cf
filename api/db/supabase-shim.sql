-- =============================================================================================
-- Supabase platform shim
--
-- A Supabase project already has the roles anon / authenticated / service_role, the `auth`
-- schema with auth.uid() / auth.role() / auth.jwt(), and an `extensions` schema on the search
-- path. Plain PostgreSQL and the embedded PGlite have none of these, so row-level-security
-- policies written for Supabase would not even compile there. This file recreates exactly those
-- pieces, with Supabase's own definitions, and nothing more. It is NOT a migration: it never
-- runs on Supabase (api/db/migrate.ts runs it only when the `auth` schema is absent), and every
-- statement is idempotent.
-- =============================================================================================

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    -- As on Supabase: the service role bypasses RLS; only named server tasks may use it.
    create role service_role nologin noinherit bypassrls;
  end if;
end
$$;

-- The API switches to these roles with SET LOCAL ROLE, which needs membership.
grant anon, authenticated, service_role to current_user;

create schema if not exists extensions;
grant usage on schema extensions to anon, authenticated, service_role;

-- Supabase puts extensions in `extensions` and keeps it on every role's search path.
do $$
begin
  execute format('alter database %I set search_path to "$user", public, extensions', current_database());
end
$$;
set search_path to "$user", public, extensions;

create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

-- The three functions below are Supabase's definitions: they read the JWT claims that the
-- request handler put in the transaction-local setting `request.jwt.claims`.
create or replace function auth.uid() returns uuid
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create or replace function auth.role() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create or replace function auth.jwt() returns jsonb
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

grant execute on function auth.uid(), auth.role(), auth.jwt() to anon, authenticated, service_role;

-- =============================================================================================
-- Platform: extensions, the private schema, and the China-time helpers every area uses
--
-- This is the first of the baselines, one file per domain area, each object defined once:
--   platform → places → people → field_work → issues → live_changes → access → boundaries →
--   metrics → meetings → imports.
-- supabase/schema.sql is the generated snapshot of all of them (npm run schema); search it for
-- the current body of any function. A later change goes in a new migration file, never here.
--
-- Functions here and in the other baselines may call functions defined in a later file (the
-- areas call each other), so bodies are checked when first called, not when created: each
-- baseline turns check_function_bodies off for itself, as pg_dump and `supabase db dump` do.
-- =============================================================================================
set check_function_bodies = off;

-- PostGIS lives in the `extensions` schema, as Supabase recommends; on plain PostgreSQL and
-- PGlite the platform shim (api/db/supabase-shim.sql) has created that schema and put it on the
-- search path, so the same statement works in all three places.
create extension if not exists postgis with schema extensions;

-- The private schema: state, rollups, access helpers and sign-in live here. PostgREST does not
-- expose it; the API roles may use (not read) it, and each object grants what it must.
create schema if not exists minqing;
grant usage on schema minqing to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- China time
-- Every street using this product is in China (UTC+8, no daylight saving); computing dates this
-- way needs no time-zone database, which the embedded PostgreSQL may lack.
-- ---------------------------------------------------------------------------------------------

/** The China date of an instant. */
create function public.china_date(t timestamptz) returns date
language sql immutable parallel safe
as $$
  select ((t at time zone 'UTC') + interval '8 hours')::date
$$;

/** The instant a China date ends: "as of D" looks at what was in force just before it. */
create function public.china_day_end(d date) returns timestamptz
language sql immutable parallel safe
as $$ select ((d + 1)::timestamp - interval '8 hours') at time zone 'UTC' $$;

/**
 * Rounds to one decimal half-up, identically to the reference's roundTo1 (PostgreSQL's
 * round(float8) rounds half to even). The 1e-9 absorbs binary noise: 0.15 × 100 × 5/12 is
 * 6.249999999999999 in floating point but 6.25 in truth, and must show as 6.3.
 */
create function public.round1(x double precision) returns double precision
language sql immutable parallel safe
as $$ select floor(x * 10 + 0.5 + 1e-9) / 10 $$;

comment on function public.china_date(timestamptz) is 'The China (UTC+8) date of an instant.';
comment on function public.china_day_end(date) is 'The instant China date D ends; "as of D" means in force just before it.';
comment on function public.round1(double precision) is 'Rounds half-up to one decimal, as the TypeScript reference does.';

reset check_function_bodies;

-- =============================================================================================
-- Extensions
-- PostGIS lives in the `extensions` schema, as Supabase recommends; on plain PostgreSQL and
-- PGlite the platform shim (api/db/supabase-shim.sql) has created that schema and put it on the
-- search path, so the same statement works in all three places.
-- =============================================================================================
create extension if not exists postgis with schema extensions;

-- The demo street (3 communities, ~18 grids, ~5,000 households, a year of visits and issues) is
-- produced by a deterministic generator (geo/demo/street.generator.ts) rather than stored here:
-- it is dated relative to "today" and its size is a parameter. Load it into an empty database with
--   DATABASE_URL=postgresql://postgres:postgres@127.0.0.1:54322/postgres npm run seed
-- Real streets import their own data instead.
select 1;

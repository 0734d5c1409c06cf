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

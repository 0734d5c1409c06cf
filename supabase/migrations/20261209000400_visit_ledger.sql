-- =============================================================================================
-- The visit ledger (走访台账, issue 18 "History ledgers"): a street's years of visits come in from
-- its Excel ledgers, so that the map is right on day one (docs/import-export.md).
--
-- An imported visit is a visit like any other: it counts under the visit policy, the rollups and
-- month-end snapshots follow it through the triggers of *_metrics.sql (one statement-level
-- recompute per INSERT, however many rows), and it is audited. What differs:
--   * it names the batch it came from (import_batch_id) and carries a key (import_key) derived
--     from household, date, visitor, method, result and content, unique, so that importing the
--     same ledger again adds nothing;
--   * its visitor may be unknown: a ledger names the visitor by name, and a name that matches no
--     staff member of the household's grid or community leaves the visit unattributed
--     (visitor_id null), with the ledger's name kept in visitor_label;
--   * it is written by the ledger's keeper (a grid leader or community staff), not by its visitor.
-- Also here: buildings get the code a planning bureau's file gives them (楼栋编号), which both
-- ledgers match as well as the building's name.
-- =============================================================================================
set check_function_bodies = off;

-- ---------------------------------------------------------------------------------------------
-- Buildings: their own code
-- A building file's code property (编号, BM …) was read and dropped; ledgers name buildings by
-- it (楼栋编号). Not unique: codes are a bureau's or an estate's, and may repeat across
-- communities; a ledger row whose code names two buildings in the keeper's grids is ambiguous.
-- ---------------------------------------------------------------------------------------------
alter table public.buildings add column code text;

create index buildings_code_idx on public.buildings (code) where code is not null;

grant insert (code), update (code) on public.buildings to authenticated;

comment on column public.buildings.code is 'The building''s code in the file it was imported from (楼栋编号), if any.';

-- ---------------------------------------------------------------------------------------------
-- Visits: imported, maybe unattributed
-- ---------------------------------------------------------------------------------------------

-- A ledger's visitor who is no staff member of the household's grid or community is kept by
-- name only; every visit logged in the product still has its visitor (the check below).
alter table public.visits alter column visitor_id drop not null;

alter table public.visits
  add column visitor_label text,
  -- No foreign key to the batch's row would outlive a discarded batch; set null keeps the
  -- visit, and import_key still marks it as imported.
  add column import_batch_id uuid references public.import_batches (id) on delete set null,
  add column import_key text,
  add constraint visits_import_key_key unique (import_key),
  add constraint visits_visitor_known_unless_imported check (visitor_id is not null or import_key is not null),
  add constraint visits_import_key_with_batch check (import_batch_id is null or import_key is not null);

comment on column public.visits.visitor_label is 'The visitor''s name as an imported ledger wrote it; the only name of an unattributed visit.';
comment on column public.visits.import_batch_id is 'The import batch (走访台账) this visit came from; null for visits logged in the product.';
comment on column public.visits.import_key is 'Hash of household, date, visitor, method, result and content of an imported visit: one ledger row is imported once.';

-- Logging a visit stays the worker's own act: the marks of an import cannot be set that way,
-- or a worker could make a visit look imported (and so unattributable) at will.
drop policy "Workers can log their own visits in their scope" on public.visits;

create policy "Workers can log their own visits in their scope" on public.visits
  for insert to authenticated with check (
    visitor_id = (select staff_id from minqing.my_staff())
    and import_batch_id is null and import_key is null
    and minqing.can_work_in_grid(minqing.grid_of_household(household_id))
  );

-- The keeper of a grid's ledger (as for households: grid leaders and community staff, for the
-- grids they work in) imports its visits, from a batch of their own (the batches' policy shows
-- a caller only their own), attributed to a staff member of the household's community or to
-- no one. Grid members log visits; they do not import them.
create policy "Ledger keepers can import visits to households in their scope" on public.visits
  for insert to authenticated with check (
    import_batch_id is not null and import_key is not null
    and (select role from minqing.my_staff()) in ('grid_leader', 'community_staff')
    and minqing.can_work_in_grid(minqing.grid_of_household(household_id))
    and exists (select 1 from public.import_batches b where b.id = import_batch_id and b.kind = 'visits')
    and (visitor_id is null or exists (
      select 1 from public.staff s
      where s.id = visitor_id and s.community_id = minqing.community_of_grid(minqing.grid_of_household(household_id))))
  );

-- A committed visit ledger's report quotes its rows (visitors' names, addresses): sealing it
-- reduces it as every table kind's is (minqing.import_report_without_personal_data, *_imports.sql);
-- its per-grid coverage stays (figures, no one's data).

reset check_function_bodies;

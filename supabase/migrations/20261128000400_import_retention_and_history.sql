-- =============================================================================================
-- Imports, continued (issue #8; docs/import-export.md): how long an import batch keeps the rows
-- it parsed, and when the grids an import creates begin in the boundary history.
-- =============================================================================================

-- ---------------------------------------------------------------------------------------------
-- Retention of import batches
-- A dry run keeps the rows it would write, and a ledger's rows are personal data (names, ID
-- numbers, phones); its report quotes cells too (a phone, an address, an ID number's first six
-- digits). Nothing needs them for long:
--   * a dry run not committed within 24 hours expires: the batch is deleted;
--   * a committed batch drops its rows at once, and a ledger's report keeps only what is not
--     personal: counts, problem counts, and each problem's code, severity and row number.
-- Enforced by the API: the commit seals its batch (minqing.seal_import_batch) in the commit's
-- transaction, and every dry run, every commit and the server's start purge what has expired
-- (minqing.purge_import_batches). No background job is needed: an expired batch can only be
-- read by its owner, and any owner's next import removes it.
-- ---------------------------------------------------------------------------------------------

-- What a committed ledger's report may keep: the problems' codes, severities and row numbers.
create function minqing.import_report_without_personal_data(p_kind text, p_report jsonb) returns jsonb
language sql immutable
as $$
  select case when p_kind <> 'households' then p_report
    else p_report || jsonb_build_object(
      'problems', coalesce((
        select jsonb_agg(jsonb_strip_nulls(jsonb_build_object('code', p -> 'code', 'severity', p -> 'severity', 'row', p -> 'row'))
                         order by ord)
        from jsonb_array_elements(coalesce(p_report -> 'problems', '[]'::jsonb)) with ordinality as e(p, ord)), '[]'::jsonb),
      'personalDataRemoved', true)
  end
$$;

-- Definer rights: the caller may not update a batch once it is marked committed (the policy
-- "Staff can commit their own pending imports"), and must not be able to rewrite its rows or
-- report at any time; this writes the counts and drops the rest, for the caller's own batch only.
create function minqing.seal_import_batch(p_id uuid, p_counts jsonb) returns void
language plpgsql security definer
set search_path = public, extensions
as $$
begin
  update public.import_batches
  set committed = p_counts,
      rows = '[]'::jsonb,
      report = minqing.import_report_without_personal_data(kind, report)
  where id = p_id and owner_id = auth.uid() and committed_at is not null;
  if not found then
    raise exception 'import batch % is not a committed batch of the caller', p_id using errcode = '42501';
  end if;
end
$$;
revoke execute on function minqing.seal_import_batch(uuid, jsonb) from public;
grant execute on function minqing.seal_import_batch(uuid, jsonb) to authenticated, service_role;

-- Definer rights because the expired batches are anyone's: deleting a dry run nobody committed
-- for 24 hours reveals nothing and removes personal data. Also seals any committed batch that
-- still holds rows (batches committed before this migration). Returns how many were deleted.
create function minqing.purge_import_batches() returns integer
language plpgsql security definer
set search_path = public, extensions
as $$
declare n integer;
begin
  delete from public.import_batches where committed_at is null and created_at < now() - interval '24 hours';
  get diagnostics n = row_count;
  update public.import_batches
  set rows = '[]'::jsonb, report = minqing.import_report_without_personal_data(kind, report)
  where committed_at is not null and rows <> '[]'::jsonb;
  return n;
end
$$;
revoke execute on function minqing.purge_import_batches() from public;
grant execute on function minqing.purge_import_batches() to authenticated, service_role;

-- Batches already committed hold their rows; from now on none does.
select minqing.purge_import_batches();

-- ---------------------------------------------------------------------------------------------
-- Imported grids begin when the import is committed
-- A grid inserted outside a boundary commit got a first version valid from -infinity: right for
-- the grids a street is loaded with, wrong for a grid an import adds to a street in use, which
-- then existed "always" and showed on every past date with no buildings (its buildings move to
-- it, in building_grid_history, only from the commit on). Under an import's commit (the setting
-- minqing.change_kind = 'imported', set by the API for its transaction) the first version now
-- starts at the commit and names who imported it and why; statistics for earlier dates keep
-- the grids and assignments that were in force then. Seeding and migrations are unchanged.
-- ---------------------------------------------------------------------------------------------
create or replace function minqing.grid_first_version() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
begin
  if coalesce(current_setting('minqing.boundary_commit', true), '') = 'on' then
    return null;
  end if;
  if coalesce(current_setting('minqing.change_kind', true), '') = 'imported' then
    insert into public.grid_versions (grid_id, version, community_id, code, name, boundary, valid_from, kind,
                                      staff_id, user_id, reason)
    values (new.id, new.version, new.community_id, new.code, new.name, new.boundary, now(), 'imported',
            (select s.staff_id from minqing.my_staff() s limit 1), auth.uid(),
            nullif(current_setting('minqing.change_reason', true), ''));
  else
    insert into public.grid_versions (grid_id, version, community_id, code, name, boundary, valid_from, kind)
    values (new.id, new.version, new.community_id, new.code, new.name, new.boundary, '-infinity', 'created');
  end if;
  return null;
end
$$;

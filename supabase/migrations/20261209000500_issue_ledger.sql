-- =============================================================================================
-- The matters ledger (民情事项台账) import (issue 18, "History ledgers"; docs/import-export.md)
--
-- A street brings years of matters kept in Excel. Each ledger row becomes a matter in
-- public.issues with its event history rebuilt from its dates (api/imports/issue-import.ts);
-- this file adds what such a matter carries beyond one registered in the product:
--   * the ledger's own registration number when it does not fit the product's scheme (or is
--     taken), kept beside the new one so that paper files can still be found;
--   * the import batch it came from ("imported", and by which import);
--   * a key that makes a re-import of the same ledger add nothing twice;
-- and the view and functions the import and the issues API read them through.
-- Who may import is who may register: the existing issue policies decide each row at commit.
-- =============================================================================================
set check_function_bodies = off;

-- ---------------------------------------------------------------------------------------------
-- Columns
-- ---------------------------------------------------------------------------------------------
alter table public.issues
  -- The ledger's 登记编号 when it could not be kept as reg_no: not year + month + 3 digits, not of
  -- the registration's own month, or already another matter's number. Null when reg_no is it.
  add column original_reg_no text check (original_reg_no is null or length(original_reg_no) between 1 and 50),
  -- The import that wrote the matter; null for matters registered in the product. A committed
  -- batch is kept (sealed, without personal data), so this stays resolvable; set null if an
  -- administrator ever deletes the batch.
  add column import_batch_id uuid references public.import_batches (id) on delete set null,
  -- What makes a re-import idempotent: '<street id>:no:<original number>' when the ledger numbers
  -- its matters (a number is unique within the street's ledger), else
  -- '<street id>:sha256:<hash of date, grid, category and content>'. The street id in the key
  -- scopes it to the street while the unique index stays a plain one.
  add column import_key text unique,
  add constraint issues_import_key_is_imported check (import_key is null or import_batch_id is not null);

comment on column public.issues.original_reg_no is 'The ledger''s own registration number, when it could not be kept as reg_no.';
comment on column public.issues.import_batch_id is 'The import batch that wrote this matter from a 民情事项台账; null when registered in the product.';
comment on column public.issues.import_key is 'Street-scoped key of an imported matter (its original number, else a content hash): a re-import skips it.';

-- ---------------------------------------------------------------------------------------------
-- Where a matter came from, for everyone who may know it exists
-- issue_records (the masked view, *_access.sql) has one home; the origin is a view of its own
-- that the API joins: a matter's original number and batch are not personal data, so whoever
-- sees the matter at all (its grid visible, masked or not) sees them, as they see reg_no.
-- ---------------------------------------------------------------------------------------------
create view public.issue_origins with (security_barrier) as
-- The scope computed once per statement, not once per matter (as in issue_records).
with ids as materialized (select minqing.visible_grid_ids() as v)
select i.id, i.original_reg_no, i.import_batch_id
from public.issues i, ids
where i.import_batch_id is not null and i.grid_id = any (ids.v);

revoke all on public.issue_origins from public, anon;

grant select on public.issue_origins to authenticated, service_role;

comment on view public.issue_origins is 'Imported matters the caller may know exist: their ledger''s original number and import batch.';

-- ---------------------------------------------------------------------------------------------
-- What a dry run must know beyond the caller's sight
-- Registration numbers are unique on the whole server and a caller reads only their own
-- scope's matters: the dry run asks which of the ledger's numbers are taken anywhere (like
-- taken_grid_codes: it learns only that a number is in use, never where), and which of its
-- rows' keys its street already holds — a matter imported by a colleague into a grid the
-- caller does not keep is still "already there", not a unique violation at commit.
-- ---------------------------------------------------------------------------------------------

/** Which of the given registration numbers any matter on the server holds. */
create function minqing.taken_issue_reg_nos(p_reg_nos text[]) returns setof text
language sql stable security definer
set search_path = public, extensions
as $$ select reg_no from public.issues where reg_no = any (p_reg_nos) $$;

/** Which of the given import keys a matter of the caller's street holds. */
create function minqing.imported_issue_keys(p_keys text[]) returns setof text
language sql stable security definer
set search_path = public, extensions
as $$
  select i.import_key from public.issues i
  join public.grids g on g.id = i.grid_id
  join public.communities c on c.id = g.community_id
  where i.import_key = any (p_keys) and c.street_id = minqing.my_street_id()
$$;

revoke execute on function minqing.taken_issue_reg_nos(text[]), minqing.imported_issue_keys(text[]) from public;

grant execute on function minqing.taken_issue_reg_nos(text[]), minqing.imported_issue_keys(text[]) to authenticated, service_role;

comment on function minqing.taken_issue_reg_nos(text[]) is 'Which of these registration numbers are in use anywhere on the server (a ledger import keeps only free ones).';
comment on function minqing.imported_issue_keys(text[]) is 'Which of these import keys a matter of the caller''s street already holds (a re-import skips them).';

-- Retention: a matters ledger quotes contents and addresses, so a committed batch keeps only
-- each problem's code, severity and row, as every table kind does
-- (minqing.import_report_without_personal_data, *_imports.sql).

reset check_function_bodies;

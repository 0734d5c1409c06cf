-- =============================================================================================
-- The staff roster import (花名册, issue 18; api/imports/staff-import.ts, docs/import-export.md).
--
-- A roster's dry run must say, row by row, whether an email is already taken. Staff emails are
-- unique over the whole installation (public.staff.email, minqing.local_accounts.email), but
-- the importer reads only their own street's staff and no sign-ins at all; so one definer
-- function answers for each (email, name) of the file: free, held by that same person in the
-- caller's street (a re-import: "already there", not an error), or taken. It says nothing more
-- about whoever holds it (no name, no street, no id).
--
-- A committed roster keeps no personal data: its report's problems (which name people and their
-- emails) are reduced to code, severity and row, as every table kind's are
-- (minqing.import_report_without_personal_data, *_imports.sql).
-- =============================================================================================

create function minqing.roster_email_status(p_emails text[], p_names text[])
returns table (email text, status text)
language sql stable security definer
set search_path = public, extensions
as $$
  select e.email,
    case
      when exists (select 1 from public.staff s
                   where lower(s.email) = e.email and s.street_id = (select minqing.my_street_id())
                     and s.name = e.name) then 'same_person'
      when exists (select 1 from public.staff s where lower(s.email) = e.email)
        or exists (select 1 from minqing.local_accounts a where a.email = e.email) then 'taken'
      else 'free'
    end
  from unnest(p_emails, p_names) as e(email, name)
  -- Only staff who manage staff ask; anyone else learns nothing.
  where exists (select 1 from minqing.my_staff() me where me.role in ('street_leader', 'community_staff'))
$$;

revoke execute on function minqing.roster_email_status(text[], text[]) from public;
grant execute on function minqing.roster_email_status(text[], text[]) to authenticated, service_role;

-- =============================================================================================
-- Live changes: open maps and panels learn which grids changed
--
-- Statement-level triggers on visits, issues, issue events and patrols send {table, gridId} on
-- the channel minqing_changes, once per statement and grid, at commit (NOTIFY is
-- transactional); the API relays them to the browsers, which refetch. Never personal data.
-- Once per statement rather than per row because field work is written in bulk (the demo seed
-- on first start, a ledger's or a district's load, the nightly sync of a field app's queue),
-- where a lookup and a notification per row cost more than the insert itself.
-- Other notifications come from the functions that make the change: boundary commits and
-- proposals (*_boundaries.sql).
-- =============================================================================================
set check_function_bodies = off;

/**
 * Notifies minqing_changes once per grid a statement touched: {table, gridId}. Visits find
 * their grid through their household, issue events through their issue. Each branch names the
 * transition table's columns of one table: PL/pgSQL plans a statement when it first runs, so
 * the branches of the other tables are never planned.
 */
create function minqing.announce_changes() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
begin
  if tg_table_name = 'visits' then
    perform pg_notify('minqing_changes', json_build_object('table', tg_table_name, 'gridId', x.grid_id)::text)
    from (select distinct minqing.grid_of_household(h.household_id) as grid_id
          from (select distinct household_id from new_rows) h) x;
  elsif tg_table_name = 'issue_events' then
    perform pg_notify('minqing_changes', json_build_object('table', tg_table_name, 'gridId', x.grid_id)::text)
    from (select distinct i.grid_id from new_rows n join public.issues i on i.id = n.issue_id) x;
  else
    perform pg_notify('minqing_changes', json_build_object('table', tg_table_name, 'gridId', x.grid_id)::text)
    from (select distinct grid_id from new_rows) x;
  end if;
  return null;
end
$$;

revoke execute on function minqing.announce_changes() from public;
create trigger visits_announce_ins after insert on public.visits
  referencing new table as new_rows for each statement execute function minqing.announce_changes();
create trigger visits_announce_upd after update on public.visits
  referencing new table as new_rows for each statement execute function minqing.announce_changes();
create trigger issues_announce_ins after insert on public.issues
  referencing new table as new_rows for each statement execute function minqing.announce_changes();
create trigger issues_announce_upd after update on public.issues
  referencing new table as new_rows for each statement execute function minqing.announce_changes();
create trigger issue_events_announce_ins after insert on public.issue_events
  referencing new table as new_rows for each statement execute function minqing.announce_changes();
create trigger patrols_announce_ins after insert on public.patrols
  referencing new table as new_rows for each statement execute function minqing.announce_changes();
create trigger patrols_announce_upd after update on public.patrols
  referencing new table as new_rows for each statement execute function minqing.announce_changes();
reset check_function_bodies;

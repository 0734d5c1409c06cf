-- =============================================================================================
-- A household's category changes, for its timeline
-- The audit log already holds every change with old and new values, but only community staff
-- and the street leader read it. Categories set the visit schedule the grid team works to, so
-- whoever may know the household exists may see when and by whom its categories changed —
-- nothing else of the audit rows (names and phones in old/new values stay in the log).
-- =============================================================================================
create function public.household_category_changes(p_household_id integer)
returns table (at timestamptz, staff_id integer, staff_name text, old_categories text[], new_categories text[])
language sql stable security definer
set search_path = public, extensions
as $$
  select a.at, a.staff_id, public.staff_display_name(a.staff_id),
    array(select jsonb_array_elements_text(a.old_values -> 'categories')),
    array(select jsonb_array_elements_text(a.new_values -> 'categories'))
  from public.audit_log a
  where a.table_name = 'households' and a.action = 'update' and p_household_id = any (a.row_ids)
    and a.old_values -> 'categories' is distinct from a.new_values -> 'categories'
    and minqing.grid_access(minqing.grid_of_household(p_household_id)) <> 'none'
  order by a.at desc, a.id desc
$$;
revoke execute on function public.household_category_changes(integer) from public;
grant execute on function public.household_category_changes(integer) to authenticated, service_role;

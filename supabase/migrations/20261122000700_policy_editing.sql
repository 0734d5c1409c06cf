-- =============================================================================================
-- Editing visit policies
-- A policy is versioned, never edited: each change is a new row with the date it takes effect,
-- so a past date is always judged by the rules in force then. Community staff may add versions
-- for their own community; nobody may update or delete a version.
-- =============================================================================================

-- The staff record of the signed-in user, if any. SECURITY DEFINER because staff rows are not
-- readable to the API roles; it reveals only the caller's own record.
create function public.current_staff_role_and_community()
returns table (staff_id integer, role public.staff_role, community_id integer)
language sql stable security definer
set search_path = public, extensions
as $$
  select s.id, s.role, s.community_id from public.staff s
  where s.user_id = auth.uid() and s.active
$$;
revoke execute on function public.current_staff_role_and_community() from public;
grant execute on function public.current_staff_role_and_community() to authenticated, service_role;

create policy "Community staff can add policy versions for their own community" on public.visit_policies
  for insert to authenticated
  with check (
    community_id is not null
    and exists (
      select 1 from public.current_staff_role_and_community() me
      where me.role = 'community_staff' and me.community_id = visit_policies.community_id
    )
    -- History is never rewritten: a version takes effect today or later.
    and valid_from >= public.china_date(now())
  );

grant insert on public.visit_policies to authenticated;

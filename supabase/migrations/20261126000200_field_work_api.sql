-- =============================================================================================
-- Field work through the API: logging visits (民情日记) and patrols (issue 4)
-- The tables exist since *_field_work.sql and their row-level security since *_access.sql; this
-- adds what logging from a phone in the street needs: the GPS geofence.
-- =============================================================================================

-- ---------------------------------------------------------------------------------------------
-- The policy gains `visitGeofenceM`: how far from the household's building a visit's GPS point
-- may be before the visit is flagged for review. Equal to DEFAULT_POLICY in
-- geo/domain/visit-policy.ts (tests/api/policies-api.test.ts keeps the two equal). Versions
-- stored before this setting existed keep their content (history is never rewritten) and read
-- it from here.
-- ---------------------------------------------------------------------------------------------
create or replace function public.default_policy_settings() returns jsonb
language sql immutable
as $$
  select '{"intervals":{"ordinary":182,"elderly":30,"empty_nest":15,"lonely_elderly":15,"low_income":15,"disabled":15,"seriously_ill":7,"difficult":30,"floating":30,"rental":30,"community_correction":30,"key_person":7,"petitioner":90,"unemployed":30,"military_family":90,"business":45},"atRisk":["empty_nest","lonely_elderly","low_income","disabled","seriously_ill","difficult","community_correction","key_person"],"countedMethods":["in_person","phone","video"],"notHomeCounts":false,"issueDueDays":{"ordinary":7,"complex":15,"major":30},"attention":{"weights":{"coverageGap":0.4,"atRiskOverdue":0.3,"overdueIssues":0.15,"patrolGap":0.15},"overdueIssuesPer100Cap":2,"patrolGapDaysCap":14},"patrolMinMinutes":30,"gridHouseholds":{"min":200,"max":300},"visitGeofenceM":50}'::jsonb
$$;

-- ---------------------------------------------------------------------------------------------
-- The geofence, enforced where every client meets it
-- A trigger rather than API code, so that a phone writing through a Supabase client directly is
-- flagged exactly like one going through the API. Records must be truthful (002 不准弄虚作假),
-- but GPS drifts and notes get written up at the office: a far point is kept and flagged for a
-- person to review, never refused or dropped.
-- ---------------------------------------------------------------------------------------------

-- Metres from the household's building footprint (0 inside it) when the visit was logged, null
-- without a GPS point. Kept so that a reviewer, and a retried request, see the same figure
-- even after the footprint is redrawn.
alter table public.visits add column distance_m real check (distance_m >= 0);

-- SECURITY DEFINER: it runs before row-level security judges the row, and must read the
-- building and the policy whoever the caller is; it only sets columns of the row being
-- written, so it reveals nothing a refused insert could see. At insert the flag has this one
-- cause, so a client can neither set nor clear it.
create function minqing.flag_visit_far_from_building() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
declare
  building_id integer;
  community_id integer;
begin
  new.distance_m := null;
  new.flagged_for_review := false;
  if new.location is null then
    return new;
  end if;
  -- Geography, not degrees: a degree of longitude is ~98 km here, a degree of latitude ~111 km.
  select b.id, g.community_id, ST_Distance(new.location::geography, b.footprint::geography)
    into building_id, community_id, new.distance_m
  from public.households h
  join public.buildings b on b.id = h.building_id
  left join public.grids g on g.id = b.grid_id
  where h.id = new.household_id;
  -- Most points fall on or beside the building. Within the smallest fence any policy version
  -- sets, no policy can flag them, so the lookup of the one in force (a per-row function call
  -- that tripled the demo street's seeding time) is skipped.
  if new.distance_m is null or new.distance_m <= (
    select coalesce(min((vp.settings ->> 'visitGeofenceM')::double precision), 'infinity')
    from public.visit_policies vp
  ) and new.distance_m <= (public.default_policy_settings() ->> 'visitGeofenceM')::double precision then
    return new;
  end if;
  -- The policy in force on the day of the visit, like every other rule applied to it.
  new.flagged_for_review := new.distance_m > coalesce(
    (public.policy_settings_at(community_id, public.china_date(new.visited_at)) ->> 'visitGeofenceM')::double precision,
    (public.default_policy_settings() ->> 'visitGeofenceM')::double precision);
  return new;
end
$$;
revoke execute on function minqing.flag_visit_far_from_building() from public;

create trigger visits_flag_far_from_building
  before insert on public.visits
  for each row execute function minqing.flag_visit_far_from_building();

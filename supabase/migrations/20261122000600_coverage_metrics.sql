-- =============================================================================================
-- Coverage metrics: what colours the map
-- The exact definitions are in docs/metrics.md; geo/metrics/coverage.reference.ts implements
-- them again in TypeScript, and tests/db/metrics.property.test.ts checks both agree on random
-- datasets. These functions are what the API serves.
--
-- They are SECURITY DEFINER and return aggregates only (counts, shares, days): anyone who may
-- see the map may see how well a grid is covered, but never which household is behind a number.
-- The per-household function stays private to the owner and the service role.
-- =============================================================================================

-- ---------------------------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------------------------

-- Every street using this product is in China (UTC+8, no daylight saving); computing the date
-- this way needs no time-zone database, which the embedded PostgreSQL may lack.
create function public.china_date(t timestamptz) returns date
language sql immutable parallel safe
as $$
  select ((t at time zone 'UTC') + interval '8 hours')::date
$$;

-- The fallback when a street has no policy row at all; equal to DEFAULT_POLICY in
-- geo/domain/visit-policy.ts (tests/db/metrics-sql.test.ts keeps the two equal).
create function public.default_policy_settings() returns jsonb
language sql immutable
as $$
  select '{"intervals":{"ordinary":182,"elderly":30,"empty_nest":15,"lonely_elderly":15,"low_income":15,"disabled":15,"seriously_ill":7,"difficult":30,"floating":30,"rental":30,"community_correction":30,"key_person":7,"petitioner":90,"unemployed":30,"military_family":90,"business":45},"atRisk":["empty_nest","lonely_elderly","low_income","disabled","seriously_ill","difficult","community_correction","key_person"],"countedMethods":["in_person","phone","video"],"notHomeCounts":false,"issueDueDays":{"ordinary":7,"complex":15,"major":30},"attention":{"weights":{"coverageGap":0.4,"atRiskOverdue":0.3,"overdueIssues":0.15,"patrolGap":0.15},"overdueIssuesPer100Cap":2,"patrolGapDaysCap":14},"patrolMinMinutes":30,"gridHouseholds":{"min":200,"max":300}}'::jsonb
$$;

-- The policy in force for a community at a date: its own latest row, else the street-wide one,
-- else the default. A null community (a building outside every grid) gets the street-wide row.
create function public.policy_settings_at(p_community_id integer, as_of date) returns jsonb
language sql stable security definer
set search_path = public, extensions
as $$
  select coalesce(
    (select vp.settings from public.visit_policies vp
      where p_community_id is not null and vp.community_id = p_community_id and vp.valid_from <= as_of
      order by vp.valid_from desc limit 1),
    (select vp.settings from public.visit_policies vp
      where vp.community_id is null and vp.valid_from <= as_of
        and (p_community_id is null
             or vp.street_id = (select c.street_id from public.communities c where c.id = p_community_id))
      order by vp.valid_from desc limit 1),
    public.default_policy_settings()
  )
$$;

-- Rounds to one decimal half-up, identically to the reference's roundTo1 (PostgreSQL's
-- round(float8) rounds half to even). The 1e-9 absorbs binary noise: 0.15 × 100 × 5/12 is
-- 6.249999999999999 in floating point but 6.25 in truth, and must show as 6.3.
create function public.round1(x double precision) returns double precision
language sql immutable parallel safe
as $$ select floor(x * 10 + 0.5 + 1e-9) / 10 $$;

-- ---------------------------------------------------------------------------------------------
-- Per household (private): scope, interval, last qualifying visit, covered, due, overdue, risk
-- ---------------------------------------------------------------------------------------------
create function public.household_visit_status(as_of date)
returns table (
  household_id integer, building_id integer, grid_id integer, required_interval integer,
  last_visit date, covered boolean, due_date date, overdue boolean, at_risk boolean
)
language sql stable security definer
set search_path = public, extensions
as $$
  with pol as (
    select c.id as community_id, public.policy_settings_at(c.id, as_of) as s from public.communities c
    union all
    select null, public.policy_settings_at(null, as_of)
  ),
  hh as (
    select h.id, h.building_id, b.grid_id, h.moved_in, pol.s,
      (select min((pol.s -> 'intervals' ->> c::text)::int) from unnest(h.categories) c) as required_interval,
      h.categories && array(select jsonb_array_elements_text(pol.s -> 'atRisk'))::public.household_category[] as at_risk
    from public.households h
    join public.buildings b on b.id = h.building_id
    left join public.grids g on g.id = b.grid_id
    join pol on pol.community_id is not distinct from g.community_id
    where h.moved_in <= as_of and (h.moved_out is null or h.moved_out > as_of)
  ),
  lv as (
    select v.household_id, max(public.china_date(v.visited_at)) as last_visit
    from public.visits v
    join hh on hh.id = v.household_id
    where public.china_date(v.visited_at) <= as_of
      and v.method::text in (select jsonb_array_elements_text(hh.s -> 'countedMethods'))
      and (v.result = 'met' or (hh.s ->> 'notHomeCounts')::boolean)
    group by v.household_id
  )
  select hh.id, hh.building_id, hh.grid_id, hh.required_interval, lv.last_visit,
    coalesce(lv.last_visit > as_of - hh.required_interval, false) as covered,
    coalesce(lv.last_visit, hh.moved_in) + hh.required_interval as due_date,
    not coalesce(lv.last_visit > as_of - hh.required_interval, false)
      and coalesce(lv.last_visit, hh.moved_in) + hh.required_interval < as_of as overdue,
    hh.at_risk
  from hh left join lv on lv.household_id = hh.id
$$;

revoke execute on function public.household_visit_status(date) from public;
grant execute on function public.household_visit_status(date) to service_role;

-- ---------------------------------------------------------------------------------------------
-- Issues open / overdue at a date
-- ---------------------------------------------------------------------------------------------
create function public.issue_status_at(as_of date)
returns table (issue_id integer, grid_id integer, building_id integer, open boolean, overdue boolean)
language sql stable security definer
set search_path = public, extensions
as $$
  select i.id, i.grid_id, i.building_id, o.open, o.open and public.china_date(i.due_at) < as_of
  from public.issues i
  cross join lateral (
    select public.china_date(i.received_at) <= as_of
      and (i.closed_at is null or public.china_date(i.closed_at) > as_of)
      and not exists (
        select 1 from public.issue_events e
        where e.issue_id = i.id and e.to_status = 'cancelled' and public.china_date(e.at) <= as_of
      ) as open
  ) o
$$;
revoke execute on function public.issue_status_at(date) from public;
grant execute on function public.issue_status_at(date) to service_role;

-- ---------------------------------------------------------------------------------------------
-- Attention: the documented weighted sum (docs/metrics.md), with its breakdown in points
-- ---------------------------------------------------------------------------------------------
create function public.attention_points(
  s jsonb, households integer, covered integer, at_risk integer, at_risk_overdue integer,
  overdue_issues integer, days_since_last_patrol integer
) returns jsonb
language sql immutable
as $$
  with t as (
    select
      (s #>> '{attention,weights,coverageGap}')::float8 * 100
        * case when households > 0 then 1 - covered::float8 / households else 0 end as coverage_gap,
      (s #>> '{attention,weights,atRiskOverdue}')::float8 * 100
        * case when at_risk > 0 then at_risk_overdue::float8 / at_risk else 0 end as at_risk_overdue,
      (s #>> '{attention,weights,overdueIssues}')::float8 * 100
        * case when households > 0
               then least(1, (overdue_issues * 100.0 / households) / (s #>> '{attention,overdueIssuesPer100Cap}')::float8)
               else 0 end as overdue_issues,
      (s #>> '{attention,weights,patrolGap}')::float8 * 100
        * case when days_since_last_patrol is null then 1
               else least(1, days_since_last_patrol::float8 / (s #>> '{attention,patrolGapDaysCap}')::float8) end as patrol_gap
  )
  select jsonb_build_object(
    'total', public.round1(coverage_gap + at_risk_overdue + overdue_issues + patrol_gap),
    'coverageGap', public.round1(coverage_gap),
    'atRiskOverdue', public.round1(at_risk_overdue),
    'overdueIssues', public.round1(overdue_issues),
    'patrolGap', public.round1(patrol_gap))
  from t
$$;

-- ---------------------------------------------------------------------------------------------
-- Days since each grid's last patrol that counts (at least patrolMinMinutes, ended)
-- ---------------------------------------------------------------------------------------------
create function public.grid_days_since_patrol(as_of date)
returns table (grid_id integer, days integer)
language sql stable security definer
set search_path = public, extensions
as $$
  select g.id, as_of - max(public.china_date(pt.started_at))
  from public.grids g
  cross join lateral (select public.policy_settings_at(g.community_id, as_of) as s) pol
  join public.patrols pt on pt.grid_id = g.id
  where public.china_date(pt.started_at) <= as_of
    and pt.ended_at is not null
    and pt.ended_at - pt.started_at >= make_interval(mins => (pol.s ->> 'patrolMinMinutes')::int)
  group by g.id
$$;
revoke execute on function public.grid_days_since_patrol(date) from public;
grant execute on function public.grid_days_since_patrol(date) to service_role;

-- ---------------------------------------------------------------------------------------------
-- Per grid and per building (public aggregates)
-- ---------------------------------------------------------------------------------------------
create function public.grid_stats(as_of date)
returns table (
  grid_id integer, households integer, covered_households integer, coverage double precision,
  overdue_households integer, at_risk_households integer, at_risk_overdue integer,
  open_issues integer, overdue_issues integer, days_since_last_visit integer,
  days_since_last_patrol integer, attention double precision, attention_breakdown jsonb
)
language sql stable security definer
set search_path = public, extensions
as $$
  with hs as (select * from public.household_visit_status(as_of) where grid_id is not null),
  h as (
    select hs.grid_id, count(*)::int as n, count(*) filter (where covered)::int as covered,
      count(*) filter (where overdue)::int as overdue, count(*) filter (where at_risk)::int as at_risk,
      count(*) filter (where at_risk and overdue)::int as at_risk_overdue, max(last_visit) as last_visit
    from hs group by hs.grid_id
  ),
  i as (
    select s.grid_id, count(*) filter (where open)::int as open, count(*) filter (where overdue)::int as overdue
    from public.issue_status_at(as_of) s group by s.grid_id
  ),
  g as (select g.id, public.policy_settings_at(g.community_id, as_of) as s from public.grids g),
  p as (select * from public.grid_days_since_patrol(as_of)),
  r as (
    select g.id, g.s, coalesce(h.n, 0) as n, coalesce(h.covered, 0) as covered, coalesce(h.overdue, 0) as overdue,
      coalesce(h.at_risk, 0) as at_risk, coalesce(h.at_risk_overdue, 0) as at_risk_overdue,
      coalesce(i.open, 0) as open_issues, coalesce(i.overdue, 0) as overdue_issues,
      as_of - h.last_visit as days_visit, p.days as days_patrol
    from g left join h on h.grid_id = g.id left join i on i.grid_id = g.id left join p on p.grid_id = g.id
  )
  select r.id, r.n, r.covered, case when r.n > 0 then r.covered::float8 / r.n end,
    r.overdue, r.at_risk, r.at_risk_overdue, r.open_issues, r.overdue_issues, r.days_visit, r.days_patrol,
    (a ->> 'total')::float8, a - 'total'
  from r, lateral public.attention_points(r.s, r.n, r.covered, r.at_risk, r.at_risk_overdue, r.overdue_issues, r.days_patrol) a
  order by r.id
$$;

create function public.building_stats(as_of date)
returns table (
  building_id integer, grid_id integer, households integer, covered_households integer, coverage double precision,
  overdue_households integer, at_risk_households integer, at_risk_overdue integer,
  open_issues integer, overdue_issues integer, days_since_last_visit integer,
  days_since_last_patrol integer, attention double precision, attention_breakdown jsonb
)
language sql stable security definer
set search_path = public, extensions
as $$
  with hs as (select * from public.household_visit_status(as_of)),
  h as (
    select hs.building_id, count(*)::int as n, count(*) filter (where covered)::int as covered,
      count(*) filter (where overdue)::int as overdue, count(*) filter (where at_risk)::int as at_risk,
      count(*) filter (where at_risk and overdue)::int as at_risk_overdue, max(last_visit) as last_visit
    from hs group by hs.building_id
  ),
  i as (
    select s.building_id, count(*) filter (where open)::int as open, count(*) filter (where overdue)::int as overdue
    from public.issue_status_at(as_of) s where s.building_id is not null group by s.building_id
  ),
  gp as (select p.grid_id, p.days as days_since_last_patrol from public.grid_days_since_patrol(as_of) p),
  r as (
    select b.id, b.grid_id,
      public.policy_settings_at((select g.community_id from public.grids g where g.id = b.grid_id), as_of) as s,
      coalesce(h.n, 0) as n, coalesce(h.covered, 0) as covered, coalesce(h.overdue, 0) as overdue,
      coalesce(h.at_risk, 0) as at_risk, coalesce(h.at_risk_overdue, 0) as at_risk_overdue,
      coalesce(i.open, 0) as open_issues, coalesce(i.overdue, 0) as overdue_issues,
      as_of - h.last_visit as days_visit, gp.days_since_last_patrol as days_patrol
    from public.buildings b
    left join h on h.building_id = b.id left join i on i.building_id = b.id left join gp on gp.grid_id = b.grid_id
  )
  select r.id, r.grid_id, r.n, r.covered, case when r.n > 0 then r.covered::float8 / r.n end,
    r.overdue, r.at_risk, r.at_risk_overdue, r.open_issues, r.overdue_issues, r.days_visit, r.days_patrol,
    (a ->> 'total')::float8, a - 'total'
  from r, lateral public.attention_points(r.s, r.n, r.covered, r.at_risk, r.at_risk_overdue, r.overdue_issues, r.days_patrol) a
  order by r.id
$$;

revoke execute on function public.grid_stats(date), public.building_stats(date), public.policy_settings_at(integer, date)
  from public;
grant execute on function public.grid_stats(date), public.building_stats(date), public.policy_settings_at(integer, date)
  to anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Policies are not personal data: the map's users may read them (editing goes through the API,
-- which the access issue restricts to community staff).
-- ---------------------------------------------------------------------------------------------
create policy "Anyone can read visit policies" on public.visit_policies
  for select to anon, authenticated using (true);
grant select on public.visit_policies to anon, authenticated;

-- ---------------------------------------------------------------------------------------------
-- The mop-up list: a grid's overdue households, at-risk first, then longest overdue
-- It names a household only by its address (building, unit, room) and categories — what a grid
-- worker needs to go and knock — never by name or phone. Until sign-in scopes it to the grid's
-- own team (the access issue), it is open like the map.
-- ---------------------------------------------------------------------------------------------
create function public.grid_overdue_households(p_grid_id integer, as_of date)
returns table (
  household_id integer, building_id integer, address text, unit text, room text,
  categories public.household_category[], at_risk boolean, last_visit date, due_date date, days_overdue integer
)
language sql stable security definer
set search_path = public, extensions
as $$
  select s.household_id, s.building_id, b.address, h.unit, h.room, h.categories, s.at_risk,
    s.last_visit, s.due_date, as_of - s.due_date
  from public.household_visit_status(as_of) s
  join public.households h on h.id = s.household_id
  join public.buildings b on b.id = s.building_id
  where s.grid_id = p_grid_id and s.overdue
  order by s.at_risk desc, s.due_date, s.household_id
$$;
revoke execute on function public.grid_overdue_households(integer, date) from public;
grant execute on function public.grid_overdue_households(integer, date) to anon, authenticated, service_role;

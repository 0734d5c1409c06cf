-- =============================================================================================
-- Meeting mode: the month report of the 民情分析会 and the meetings' decisions
-- (../shared/DOMAIN.md "Reporting rhythm"; docs/metrics.md "Month report").
--
-- The report's grid figures come from public.grid_stats(month end) like the map's; what the map
-- does not compute — visits that fell due in the month, patrol days met, issue counts by category
-- and tier, the hard cases — comes from the aggregate functions below. Like grid_stats they are
-- SECURITY DEFINER and return counts and registration numbers only, never a row that names a
-- person, so the presenter's projector can show them; each returns only the caller's street.
-- The meetings and their decisions (tables, policies) follow. 按期走访率's definition is shared
-- with the grid panel and lives in *_metrics.sql (minqing.visit_timeliness).
-- =============================================================================================
set check_function_bodies = off;

-- ---------------------------------------------------------------------------------------------
-- The grids a report may cover: the caller's street (server tasks without a caller: all)
-- ---------------------------------------------------------------------------------------------

/** The ids of the grids of the caller's street; every grid for a server task (no request claims). */
create function minqing.report_grid_ids() returns integer[]
language sql stable security definer
set search_path = public, extensions
as $$
  select coalesce(array_agg(g.id), '{}')
  from public.grids g join public.communities c on c.id = g.community_id
  where nullif(current_setting('request.jwt.claims', true), '') is null
     or c.street_id = minqing.my_street_id()
$$;

-- ---------------------------------------------------------------------------------------------
-- 按期走访率: household visits that fell due in a month, done, and done by their due date
-- A household counts once a month, for the due date it had when the month began (its last
-- qualifying visit before the month, or its move-in, plus its interval under the policy in
-- force the day before the month): due in the month when that date is in [from, to]. Done: a
-- qualifying visit (the month-end policy's methods and results) in [from, to]; on time: one in
-- [from, due date]. A household that moved out before its due date owes nothing.
-- ---------------------------------------------------------------------------------------------

/** Per grid of the caller's street: visits due in [p_from, p_to], done, and done on time. */
create function public.report_visit_timeliness(p_from date, p_to date)
returns table (grid_id integer, due integer, done integer, on_time integer)
language sql stable security definer
set search_path = public, extensions
as $$ select * from minqing.visit_timeliness(p_from, p_to, null) $$;

-- ---------------------------------------------------------------------------------------------
-- Patrol compliance: per grid, the days of a period up to p_last_day (today, for the running
-- month) on which its finished patrols that started that day add up to patrolMinMinutes — the
-- rule GET /api/patrols/compliance reports day by day.
-- ---------------------------------------------------------------------------------------------

/**
 * Per grid of the caller's street: of the days from p_from to the earlier of p_to and
 * p_last_day, how many were judged and on how many the patrols met the minimum in force that
 * day. Computed as sets (days × grids, the minimum once per community and day), not per day.
 */
create function public.report_patrol_days(p_from date, p_to date, p_last_day date)
returns table (grid_id integer, days_met integer, days_judged integer)
language sql stable security definer
set search_path = public, extensions
as $$
  with d as (
    select generate_series(p_from, least(p_to, p_last_day), interval '1 day')::date as day
  ),
  g as (select g.id, g.community_id from public.grids g where g.id = any (minqing.report_grid_ids())),
  req as materialized (
    select c.community_id, d.day,
      (public.policy_settings_at(c.community_id, d.day) ->> 'patrolMinMinutes')::int * 60 as required
    from (select distinct community_id from g) c cross join d
  ),
  walked as (
    select p.grid_id, public.china_date(p.started_at) as day, sum(extract(epoch from p.ended_at - p.started_at)) as seconds
    from public.patrols p
    where p.ended_at is not null and p.grid_id in (select id from g)
      and public.china_date(p.started_at) between p_from and least(p_to, p_last_day)
    group by 1, 2
  ),
  per_day as (
    select g.id as grid_id, d.day, r.required, coalesce(w.seconds, 0) as seconds
    from g cross join d
    join req r on r.community_id is not distinct from g.community_id and r.day = d.day
    left join walked w on w.grid_id = g.id and w.day = d.day
  )
  select grid_id, count(*) filter (where seconds >= required)::int, count(*)::int
  from per_day group by grid_id
$$;

-- ---------------------------------------------------------------------------------------------
-- Issues registered in a period by grid, category and tier (cancelled ones left out, as in
-- public.issue_indicators). The tier is the matter's current one.
-- ---------------------------------------------------------------------------------------------

/** Issues received in [p_from, p_to] per grid of the caller's street, category and current tier. */
create function public.report_issue_counts(p_from date, p_to date)
returns table (grid_id integer, category public.issue_category, tier public.issue_tier, registered integer)
language sql stable security definer
set search_path = public, extensions
as $$
  select i.grid_id, i.category, i.tier, count(*)::int
  from public.issues i
  where public.china_date(i.received_at) between p_from and p_to
    and i.status <> 'cancelled'
    and i.grid_id = any (minqing.report_grid_ids())
  group by i.grid_id, i.category, i.tier
$$;

-- ---------------------------------------------------------------------------------------------
-- The hard cases at a date: matters open then that were escalated to the street or have been
-- open for p_long_days or more. Registration number, category, tier, grid and dates only: no
-- description, no reporter, no address (the projector shows them).
-- ---------------------------------------------------------------------------------------------

/**
 * The caller's street's matters open at p_as_of that are escalated or open p_long_days or more,
 * escalated first, then oldest: registration number, grid, category, tier, dates, days open,
 * overdue.
 */
create function public.report_issue_cases(p_as_of date, p_long_days integer)
returns table (reg_no text, grid_id integer, category public.issue_category, tier public.issue_tier,
               received_on date, due_on date, days_open integer, overdue boolean)
language sql stable security definer
set search_path = public, extensions
as $$
  select i.reg_no, i.grid_id, i.category, i.tier, public.china_date(i.received_at), public.china_date(i.due_at),
    p_as_of - public.china_date(i.received_at), public.china_date(i.due_at) < p_as_of
  from public.issues i
  where i.grid_id = any (minqing.report_grid_ids())
    and public.china_date(i.received_at) <= p_as_of
    and (i.closed_at is null or public.china_date(i.closed_at) > p_as_of)
    and not exists (select 1 from public.issue_events e
                    where e.issue_id = i.id and e.to_status = 'cancelled' and public.china_date(e.at) <= p_as_of)
    and (i.tier = 'escalated' or p_as_of - public.china_date(i.received_at) >= p_long_days)
  order by (i.tier = 'escalated') desc, i.received_at, i.reg_no
$$;

revoke execute on function public.report_visit_timeliness(date, date), public.report_patrol_days(date, date, date),
  public.report_issue_counts(date, date), public.report_issue_cases(date, integer) from public;

grant execute on function public.report_visit_timeliness(date, date), public.report_patrol_days(date, date, date),
  public.report_issue_counts(date, date), public.report_issue_cases(date, integer) to authenticated, service_role;

revoke execute on function minqing.report_grid_ids() from public;

grant execute on function minqing.report_grid_ids() to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Meetings and their decisions
-- A meeting (分析会 monthly analysis, 恳谈会 talk with residents) of one community reviews one
-- month; its decisions are actions per grid with an owner and a due date, reviewed at the next
-- meeting (the next month's report opens with them).
-- ---------------------------------------------------------------------------------------------
create type public.meeting_type as enum ('analysis', 'consultation');

create table public.meetings (
  id integer generated by default as identity primary key,
  community_id integer not null references public.communities (id) on delete restrict,
  -- The month under review, YYYY-MM; the meeting is usually held early in the next month.
  month text not null check (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  held_on date not null,
  type public.meeting_type not null,
  -- Staff who attended (checked against the street's staff by the API) and others by name
  -- (residents' representatives, unit delegates): names are masked during a presentation.
  attendee_staff_ids integer[] not null default '{}',
  attendee_names text[] not null default '{}' check (cardinality(attendee_names) <= 100),
  notes text check (length(notes) <= 5000),
  created_by integer references public.staff (id) on delete set null,
  created_at timestamptz not null default now()
);

create index meetings_community_month_idx on public.meetings (community_id, month);

create table public.meeting_actions (
  id integer generated by default as identity primary key,
  meeting_id integer not null references public.meetings (id) on delete cascade,
  grid_id integer not null references public.grids (id) on delete restrict,
  decision text not null check (length(decision) between 1 and 1000),
  owner_id integer not null references public.staff (id) on delete restrict,
  due_on date not null,
  done boolean not null default false,
  done_on date,
  created_at timestamptz not null default now(),
  constraint meeting_actions_done_has_date check (done = (done_on is not null))
);

create index meeting_actions_meeting_idx on public.meeting_actions (meeting_id);

alter table public.meetings enable row level security;

alter table public.meeting_actions enable row level security;

-- The whole street reviews the figures, so every staff record of the street — street leader,
-- other communities, grid teams and the presenter's projector — may read the meetings and
-- their decisions. Free-text attendee names are masked by the API's query during a
-- presentation (minqing.mask_name), as everywhere else.
create policy "Staff can read the meetings of their street" on public.meetings
  for select to authenticated using (
    exists (select 1 from public.communities c
            where c.id = meetings.community_id and c.street_id = (select minqing.my_street_id()))
  );

-- A community records its own meetings; nobody else writes into another community's minutes.
create policy "Community staff can record their own community's meetings" on public.meetings
  for insert to authenticated with check (
    exists (select 1 from minqing.my_staff() me
            where me.role = 'community_staff' and me.community_id = meetings.community_id)
  );
create policy "Community staff can correct their own community's meetings" on public.meetings
  for update to authenticated
  using (exists (select 1 from minqing.my_staff() me
                 where me.role = 'community_staff' and me.community_id = meetings.community_id))
  with check (exists (select 1 from minqing.my_staff() me
                      where me.role = 'community_staff' and me.community_id = meetings.community_id));

create policy "Staff can read the decisions of their street's meetings" on public.meeting_actions
  for select to authenticated using (
    exists (select 1 from public.meetings m where m.id = meeting_actions.meeting_id)
  );

-- The decision is for a grid of the meeting's own community, recorded by that community's staff.
create policy "Community staff can add decisions for their own community's grids" on public.meeting_actions
  for insert to authenticated with check (
    exists (select 1 from minqing.my_staff() me
            join public.meetings m on m.community_id = me.community_id
            join public.grids g on g.community_id = m.community_id
            where me.role = 'community_staff' and m.id = meeting_actions.meeting_id and g.id = meeting_actions.grid_id)
  );

-- Marking done (or correcting owner and due date) stays with the same community's staff.
create policy "Community staff can update decisions of their own community" on public.meeting_actions
  for update to authenticated
  using (exists (select 1 from minqing.my_staff() me join public.meetings m on m.community_id = me.community_id
                 where me.role = 'community_staff' and m.id = meeting_actions.meeting_id))
  with check (exists (select 1 from minqing.my_staff() me
                      join public.meetings m on m.community_id = me.community_id
                      join public.grids g on g.community_id = m.community_id
                      where me.role = 'community_staff' and m.id = meeting_actions.meeting_id
                        and g.id = meeting_actions.grid_id));

grant select, insert, update on public.meetings, public.meeting_actions to authenticated;

grant all on public.meetings, public.meeting_actions to service_role;

create trigger meetings_audit after insert or update or delete on public.meetings
  for each row execute function minqing.audit_row_change();
create trigger meeting_actions_audit after insert or update or delete on public.meeting_actions
  for each row execute function minqing.audit_row_change();

comment on table public.meetings is 'A community''s meeting (analysis or consultation) reviewing one month, with attendees and notes.';
comment on table public.meeting_actions is 'A meeting''s decision for one grid, with an owner, a due date and whether it is done.';
comment on function public.report_visit_timeliness(date, date) is 'Month report: per grid, visits due in a period, done, and done on time.';
comment on function public.report_patrol_days(date, date, date) is 'Month report: per grid, days judged and days the patrol minimum was met.';
comment on function public.report_issue_counts(date, date) is 'Month report: issues registered per grid, category and tier in a period.';
comment on function public.report_issue_cases(date, integer) is 'Month report: the hard cases open at a date (escalated or long open), without personal data.';

reset check_function_bodies;

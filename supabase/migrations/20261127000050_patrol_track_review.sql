-- =============================================================================================
-- Patrol tracks checked against the grid (issue 4)
-- A patrol is the grid leader walking their own grid (000 第一篇). A GPS track that runs mostly
-- elsewhere is a patrol of somewhere else, a phone left running on the bus home, or a record
-- written up at the office; like a visit's far GPS point it is kept and flagged for a person
-- to review, never refused or dropped (records must be truthful, 002 不准弄虚作假, but GPS
-- drifts). It still counts for the day: the reviewer, not the trigger, decides it was no patrol.
-- =============================================================================================

-- Share (0–1) of the track's length that lies inside the grid or within the policy's geofence
-- of it; null without a track. Kept, like visits.distance_m, so a reviewer sees the figure the
-- flag was decided on even after the boundary is redrawn.
alter table public.patrols add column track_inside_share real check (track_inside_share between 0 and 1);
alter table public.patrols add column flagged_for_review boolean not null default false;

-- ---------------------------------------------------------------------------------------------
-- The check, where every client meets it
-- The track is cut into ≤ 10 m pieces on the spheroid, and the share is that of the pieces'
-- points near the grid: equal pieces make a point count a length share, and ST_DWithin on
-- geography needs no projection (the embedded PostGIS has no PROJ grids). Less than half
-- inside flags the patrol. SECURITY DEFINER for the same reason as the visit geofence: it
-- reads the grid and the policy whoever the caller is, and only sets columns of its own row.
-- ---------------------------------------------------------------------------------------------
create function minqing.flag_patrol_off_grid() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
declare
  fence double precision;
begin
  new.track_inside_share := null;
  new.flagged_for_review := false;
  if new.track is null then
    return new;
  end if;
  select coalesce((public.policy_settings_at(g.community_id, public.china_date(new.started_at)) ->> 'visitGeofenceM')::double precision,
                  (public.default_policy_settings() ->> 'visitGeofenceM')::double precision)
    into fence
  from public.grids g where g.id = new.grid_id;
  select avg(case when ST_DWithin(p.geom::geography, g.boundary::geography, fence) then 1.0 else 0.0 end)
    into new.track_inside_share
  from public.grids g,
    lateral ST_DumpPoints(ST_Segmentize(new.track::geography, 10)::geometry) p
  where g.id = new.grid_id;
  new.flagged_for_review := coalesce(new.track_inside_share < 0.5, false);
  return new;
end
$$;
revoke execute on function minqing.flag_patrol_off_grid() from public;

create trigger patrols_flag_off_grid
  before insert or update of track on public.patrols
  for each row execute function minqing.flag_patrol_off_grid();

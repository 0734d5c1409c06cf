-- =============================================================================================
-- Vector tiles (issue #9): the geometry version
-- Tiles carry geometry and id only, so a tile URL stays valid until a grid boundary or a
-- building footprint changes, or a building moves grid (which can change who may see it: the
-- street leader alone sees buildings outside every grid). The API puts this version in tile
-- URLs (?v=) and serves them `immutable`; a statement-level trigger bumps it, once per
-- statement whatever its row count.
-- =============================================================================================

create table minqing.geometry_state (
  singleton boolean primary key default true check (singleton),
  version bigint not null default 1
);
insert into minqing.geometry_state default values;
alter table minqing.geometry_state enable row level security;
revoke all on minqing.geometry_state from public, anon, authenticated;

create function minqing.bump_geometry_version() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
begin
  update minqing.geometry_state set version = version + 1;
  return null;
end
$$;
revoke execute on function minqing.bump_geometry_version() from public;

-- A retired grid (merged away) leaves the tiles, so retiring one changes the shapes too.
create trigger grids_geometry_version
  after insert or delete or update of boundary, retired_at on public.grids
  for each statement execute function minqing.bump_geometry_version();
create trigger buildings_geometry_version
  after insert or delete or update of footprint, grid_id on public.buildings
  for each statement execute function minqing.bump_geometry_version();

-- Not personal and not secret: a number that only says "the shapes changed".
create function public.geometry_version() returns bigint
language sql stable security definer
set search_path = public, extensions
as $$ select version from minqing.geometry_state $$;
revoke execute on function public.geometry_version() from public;
grant execute on function public.geometry_version() to authenticated, service_role;

-- The current schema, generated from the catalog of a database built by supabase/migrations.
-- Do not edit: change the schema in a new migration, then run `npm run schema`.
-- Read-only reference; nothing applies this file.

-- =============================================================================================
-- Types
-- =============================================================================================

create type public.household_category as enum ('ordinary', 'elderly', 'empty_nest', 'lonely_elderly', 'low_income', 'disabled', 'seriously_ill', 'difficult', 'floating', 'rental', 'community_correction', 'key_person', 'petitioner', 'unemployed', 'military_family', 'business');

create type public.household_classification as enum ('reassured', 'basic', 'key_attention');

create type public.issue_category as enum ('dispute', 'safety_hazard', 'fire_hazard', 'livelihood', 'appeal', 'suggestion', 'sanitation', 'public_facility', 'other');

create type public.issue_complexity as enum ('ordinary', 'complex', 'major');

create type public.issue_evaluation as enum ('satisfied', 'basically_satisfied', 'dissatisfied', 'not_rated');

create type public.issue_status as enum ('registered', 'accepted', 'in_progress', 'resolved', 'closed', 'cancelled');

create type public.issue_tier as enum ('on_spot', 'community', 'escalated');

create type public.meeting_type as enum ('analysis', 'consultation');

create type public.staff_role as enum ('street_leader', 'community_staff', 'grid_leader', 'grid_member', 'presenter');

create type public.visit_method as enum ('in_person', 'phone', 'video', 'third_party');

create type public.visit_result as enum ('met', 'not_home');

-- =============================================================================================
-- Tables, their row-level security and indexes
-- =============================================================================================

create table minqing.building_rollup (
  building_id integer not null,
  grid_id integer,
  households integer not null,
  covered_households integer not null,
  coverage double precision,
  overdue_households integer not null,
  at_risk_households integer not null,
  at_risk_overdue integer not null,
  open_issues integer not null,
  overdue_issues integer not null,
  days_since_last_visit integer,
  days_since_last_patrol integer,
  attention double precision,
  attention_breakdown jsonb,
  constraint building_rollup_pkey PRIMARY KEY (building_id)
);
alter table minqing.building_rollup enable row level security;
CREATE INDEX building_rollup_grid_idx ON minqing.building_rollup USING btree (grid_id);
fillfactor=70 -- storage options
-- building_stats at stats_state.as_of, one row per building, kept current by triggers.

create table minqing.geometry_state (
  singleton boolean default true not null,
  version bigint default 1 not null,
  constraint geometry_state_pkey PRIMARY KEY (singleton),
  constraint geometry_state_singleton_check CHECK (singleton)
);
alter table minqing.geometry_state enable row level security;
-- The geometry version: bumped whenever grid or building shapes, or buildings' grids, change.

create table minqing.grid_rollup (
  grid_id integer not null,
  households integer not null,
  covered_households integer not null,
  coverage double precision,
  overdue_households integer not null,
  at_risk_households integer not null,
  at_risk_overdue integer not null,
  open_issues integer not null,
  overdue_issues integer not null,
  days_since_last_visit integer,
  days_since_last_patrol integer,
  attention double precision,
  attention_breakdown jsonb,
  constraint grid_rollup_pkey PRIMARY KEY (grid_id)
);
alter table minqing.grid_rollup enable row level security;
fillfactor=50 -- storage options
-- grid_stats at stats_state.as_of, one row per grid, kept current by triggers.

create table minqing.household_rollup (
  household_id integer not null,
  building_id integer not null,
  grid_id integer,
  required_interval integer,
  last_visit date,
  covered boolean not null,
  due_date date,
  overdue boolean not null,
  at_risk boolean not null,
  constraint household_rollup_pkey PRIMARY KEY (household_id)
);
alter table minqing.household_rollup enable row level security;
CREATE INDEX household_rollup_building_idx ON minqing.household_rollup USING btree (building_id);
CREATE INDEX household_rollup_grid_idx ON minqing.household_rollup USING btree (grid_id);
fillfactor=70 -- storage options
-- Each household's visit status at stats_state.as_of; private, read only by the definer functions.

create table minqing.installation_admins (
  user_id uuid not null,
  name text not null,
  created_at timestamp with time zone default now() not null,
  constraint installation_admins_pkey PRIMARY KEY (user_id)
);
-- Administrators of the installation: create streets and their first leader, see no personal data.

create table minqing.local_accounts (
  user_id uuid not null,
  email text not null,
  password_hash text not null,
  created_at timestamp with time zone default now() not null,
  must_change_password boolean default false not null,
  token_version integer default 0 not null,
  password_changed_at timestamp with time zone,
  constraint local_accounts_email_check CHECK ((email = lower(email))),
  constraint local_accounts_email_key UNIQUE (email),
  constraint local_accounts_pkey PRIMARY KEY (user_id)
);
-- Email and password hash of the users who sign in without Supabase Auth.

create table minqing.month_snapshot_state (
  month_end date not null,
  built_at timestamp with time zone default now() not null,
  stats_version bigint not null,
  constraint month_snapshot_state_pkey PRIMARY KEY (month_end)
);
alter table minqing.month_snapshot_state enable row level security;
-- The month ends whose snapshots are stored in full and current.

create table minqing.revoked_tokens (
  jti uuid not null,
  user_id uuid not null,
  expires_at timestamp with time zone not null,
  constraint revoked_tokens_pkey PRIMARY KEY (jti)
);
CREATE INDEX revoked_tokens_expires_at_idx ON minqing.revoked_tokens USING btree (expires_at);

create table minqing.schema_migrations (
  version text not null,
  name text not null,
  checksum text not null,
  applied_at timestamp with time zone default now() not null,
  constraint schema_migrations_pkey PRIMARY KEY (version)
);

create table minqing.stats_state (
  singleton boolean default true not null,
  as_of date,
  version bigint default 1 not null,
  built_at timestamp with time zone,
  constraint stats_state_pkey PRIMARY KEY (singleton),
  constraint stats_state_singleton_check CHECK (singleton)
);
alter table minqing.stats_state enable row level security;
-- The date the statistics rollups hold (null until first built) and the version every figure change bumps.

create table public.audit_log (
  id bigint generated always as identity not null,
  at timestamp with time zone default now() not null,
  user_id uuid,
  staff_id integer,
  action text not null,
  table_name text not null,
  row_ids integer[] default '{}'::integer[] not null,
  street_id integer,
  community_id integer,
  old_values jsonb,
  new_values jsonb,
  reason text,
  constraint audit_log_action_check CHECK ((action = ANY (ARRAY['insert'::text, 'update'::text, 'delete'::text, 'view_personal'::text]))),
  constraint audit_log_pkey PRIMARY KEY (id)
);
alter table public.audit_log enable row level security;
CREATE INDEX audit_log_at_idx ON public.audit_log USING btree (at DESC);
CREATE INDEX audit_log_community_at_idx ON public.audit_log USING btree (community_id, at DESC);
-- Append-only log of who changed which row, and who viewed whose personal data and why.

create table public.boundary_proposals (
  id integer generated always as identity not null,
  grid_id integer not null,
  community_id integer not null,
  base_version integer not null,
  geometry geometry(MultiPolygon,4326) not null,
  neighbours jsonb default '[]'::jsonb not null,
  reason text not null,
  affected_grid_ids integer[] not null,
  impact jsonb,
  status text default 'pending'::text not null,
  proposed_by integer,
  proposed_at timestamp with time zone default now() not null,
  decided_by integer,
  decided_at timestamp with time zone,
  note text,
  committed_version integer,
  constraint boundary_proposals_community_id_fkey FOREIGN KEY (community_id) REFERENCES communities(id) ON DELETE RESTRICT,
  constraint boundary_proposals_decided CHECK (((status = 'pending'::text) = (decided_at IS NULL))),
  constraint boundary_proposals_grid_id_fkey FOREIGN KEY (grid_id) REFERENCES grids(id) ON DELETE CASCADE,
  constraint boundary_proposals_pkey PRIMARY KEY (id),
  constraint boundary_proposals_reason_check CHECK ((char_length(btrim(reason)) >= 2)),
  constraint boundary_proposals_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'approved'::text, 'rejected'::text])))
);
alter table public.boundary_proposals enable row level security;
CREATE INDEX boundary_proposals_community_status_idx ON public.boundary_proposals USING btree (community_id, status);
CREATE INDEX boundary_proposals_geometry_gist ON public.boundary_proposals USING gist (geometry);
-- A grid leader's boundary change awaiting the decision of the community's staff.

create table public.building_grid_history (
  building_id integer not null,
  grid_id integer,
  valid_from timestamp with time zone not null,
  valid_to timestamp with time zone,
  constraint building_grid_history_building_id_fkey FOREIGN KEY (building_id) REFERENCES buildings(id) ON DELETE CASCADE,
  constraint building_grid_history_grid_id_fkey FOREIGN KEY (grid_id) REFERENCES grids(id) ON DELETE CASCADE,
  constraint building_grid_history_interval CHECK (((valid_to IS NULL) OR (valid_to >= valid_from))),
  constraint building_grid_history_pkey PRIMARY KEY (building_id, valid_from)
);
alter table public.building_grid_history enable row level security;
CREATE INDEX building_grid_history_grid_idx ON public.building_grid_history USING btree (grid_id);
CREATE UNIQUE INDEX building_grid_history_one_open ON public.building_grid_history USING btree (building_id) WHERE (valid_to IS NULL);
-- Which grid each building lay in over time; null grid outside every grid.

create table public.buildings (
  id integer generated by default as identity not null,
  grid_id integer,
  address text not null,
  name text,
  floors smallint,
  footprint geometry(MultiPolygon,4326) not null,
  created_at timestamp with time zone default now() not null,
  code text,
  constraint buildings_floors_check CHECK (((floors >= 1) AND (floors <= 200))),
  constraint buildings_footprint_is_valid CHECK ((st_isvalid(footprint) AND (NOT st_isempty(footprint)))),
  constraint buildings_grid_id_fkey FOREIGN KEY (grid_id) REFERENCES grids(id) ON DELETE SET NULL,
  constraint buildings_pkey PRIMARY KEY (id)
);
alter table public.buildings enable row level security;
CREATE INDEX buildings_code_idx ON public.buildings USING btree (code) WHERE (code IS NOT NULL);
CREATE INDEX buildings_footprint_gist ON public.buildings USING gist (footprint);
CREATE INDEX buildings_grid_id_idx ON public.buildings USING btree (grid_id);
-- A building (楼栋) footprint; grid_id is derived from the footprint, never set by a client.

create table public.communities (
  id integer generated by default as identity not null,
  street_id integer not null,
  code text not null,
  name text not null,
  boundary geometry(MultiPolygon,4326),
  created_at timestamp with time zone default now() not null,
  version integer default 1 not null,
  updated_at timestamp with time zone default now() not null,
  constraint communities_boundary_is_valid CHECK ((st_isvalid(boundary) AND (NOT st_isempty(boundary)))),
  constraint communities_code_key UNIQUE (code),
  constraint communities_pkey PRIMARY KEY (id),
  constraint communities_street_id_fkey FOREIGN KEY (street_id) REFERENCES streets(id) ON DELETE RESTRICT,
  constraint communities_version_check CHECK ((version >= 1))
);
alter table public.communities enable row level security;
CREATE INDEX communities_boundary_gist ON public.communities USING gist (boundary);
CREATE INDEX communities_street_id_idx ON public.communities USING btree (street_id);
-- A community (社区) of a street, with its boundary.

create table public.grid_month_snapshots (
  month_end date not null,
  grid_id integer not null,
  listed boolean not null,
  households integer,
  covered_households integer,
  coverage double precision,
  overdue_households integer,
  at_risk_households integer,
  at_risk_overdue integer,
  open_issues integer,
  overdue_issues integer,
  days_since_last_visit integer,
  days_since_last_patrol integer,
  attention double precision,
  attention_breakdown jsonb,
  visits_due integer not null,
  visits_done integer not null,
  visits_on_time integer not null,
  issues_registered integer not null,
  issues_closed integer not null,
  issues_closed_on_time integer not null,
  issues_rated integer not null,
  issues_satisfied integer not null,
  patrol_days_met integer not null,
  patrol_days_judged integer not null,
  constraint grid_month_snapshots_grid_id_fkey FOREIGN KEY (grid_id) REFERENCES grids(id) ON DELETE CASCADE,
  constraint grid_month_snapshots_month_end CHECK ((EXTRACT(day FROM (month_end + 1)) = (1)::numeric)),
  constraint grid_month_snapshots_pkey PRIMARY KEY (month_end, grid_id)
);
alter table public.grid_month_snapshots enable row level security;
CREATE INDEX grid_month_snapshots_grid_idx ON public.grid_month_snapshots USING btree (grid_id);
-- Each stored month end's per-grid figures: grid_stats and the month report counts at that date.

create table public.grid_versions (
  grid_id integer not null,
  version integer not null,
  community_id integer not null,
  code text not null,
  name text not null,
  boundary geometry(MultiPolygon,4326) not null,
  valid_from timestamp with time zone default '-infinity'::timestamp with time zone not null,
  valid_to timestamp with time zone,
  kind text not null,
  staff_id integer,
  user_id uuid,
  reason text,
  households integer,
  related_grid_ids integer[] default '{}'::integer[] not null,
  reverted_to integer,
  proposal_id integer,
  constraint grid_versions_boundary_is_valid CHECK ((st_isvalid(boundary) AND (NOT st_isempty(boundary)))),
  constraint grid_versions_community_id_fkey FOREIGN KEY (community_id) REFERENCES communities(id) ON DELETE RESTRICT,
  constraint grid_versions_grid_id_fkey FOREIGN KEY (grid_id) REFERENCES grids(id) ON DELETE CASCADE,
  constraint grid_versions_interval CHECK (((valid_to IS NULL) OR (valid_to >= valid_from))),
  constraint grid_versions_kind_check CHECK ((kind = ANY (ARRAY['created'::text, 'redrawn'::text, 'split'::text, 'merged'::text, 'reverted'::text, 'imported'::text, 'edited'::text, 'recoded'::text, 'renamed'::text]))),
  constraint grid_versions_pkey PRIMARY KEY (grid_id, version),
  constraint grid_versions_version_check CHECK ((version >= 1))
);
alter table public.grid_versions enable row level security;
CREATE INDEX grid_versions_boundary_gist ON public.grid_versions USING gist (boundary);
CREATE INDEX grid_versions_community_idx ON public.grid_versions USING btree (community_id);
CREATE UNIQUE INDEX grid_versions_one_open ON public.grid_versions USING btree (grid_id) WHERE (valid_to IS NULL);
-- Every boundary (and code and name) a grid has had, with when, who, why and how it changed.

create table public.grids (
  id integer generated by default as identity not null,
  community_id integer not null,
  code text not null,
  name text not null,
  boundary geometry(MultiPolygon,4326) not null,
  version integer default 1 not null,
  created_at timestamp with time zone default now() not null,
  updated_at timestamp with time zone default now() not null,
  leader_id integer,
  retired_at timestamp with time zone,
  retired_into integer,
  constraint grids_boundary_is_valid CHECK ((st_isvalid(boundary) AND (NOT st_isempty(boundary)))),
  constraint grids_code_key UNIQUE (code),
  constraint grids_community_id_fkey FOREIGN KEY (community_id) REFERENCES communities(id) ON DELETE RESTRICT,
  constraint grids_leader_id_fkey FOREIGN KEY (leader_id) REFERENCES staff(id) ON DELETE SET NULL,
  constraint grids_pkey PRIMARY KEY (id),
  constraint grids_retired_into_fkey FOREIGN KEY (retired_into) REFERENCES grids(id) ON DELETE RESTRICT,
  constraint grids_version_check CHECK ((version >= 1))
);
alter table public.grids enable row level security;
CREATE INDEX grids_boundary_gist ON public.grids USING gist (boundary);
CREATE INDEX grids_community_id_idx ON public.grids USING btree (community_id);
-- A grid (网格) of a few hundred households; version counts boundary changes; retired grids were merged away.

create table public.households (
  id integer generated by default as identity not null,
  building_id integer not null,
  unit text,
  room text not null,
  head_name text not null,
  phone text,
  id_number text,
  members smallint default 1 not null,
  categories household_category[] default '{ordinary}'::household_category[] not null,
  classification household_classification default 'reassured'::household_classification not null,
  moved_in date not null,
  moved_out date,
  created_at timestamp with time zone default now() not null,
  constraint households_building_id_fkey FOREIGN KEY (building_id) REFERENCES buildings(id) ON DELETE RESTRICT,
  constraint households_categories_check CHECK ((cardinality(categories) >= 1)),
  constraint households_members_check CHECK (((members >= 1) AND (members <= 50))),
  constraint households_moved_out_after_in CHECK (((moved_out IS NULL) OR (moved_out >= moved_in))),
  constraint households_pkey PRIMARY KEY (id)
);
alter table public.households enable row level security;
CREATE INDEX households_building_id_idx ON public.households USING btree (building_id);
-- A household (户) of a building: head, contact, categories that set its visit interval, move-in and move-out.

create table public.import_batches (
  id uuid default gen_random_uuid() not null,
  owner_id uuid default auth.uid() not null,
  kind text not null,
  file_name text not null,
  format text not null,
  report jsonb not null,
  rows jsonb not null,
  created_at timestamp with time zone default now() not null,
  committed_at timestamp with time zone,
  committed jsonb,
  constraint import_batches_kind_check CHECK ((kind = ANY (ARRAY['communities'::text, 'grids'::text, 'buildings'::text, 'staff'::text, 'households'::text, 'visits'::text, 'issues'::text]))),
  constraint import_batches_pkey PRIMARY KEY (id)
);
alter table public.import_batches enable row level security;
CREATE INDEX import_batches_owner_idx ON public.import_batches USING btree (owner_id, created_at DESC);
-- An import's dry run: the parsed rows and report, visible to its uploader only, sealed at commit.

create table public.issue_events (
  id integer generated by default as identity not null,
  issue_id integer not null,
  at timestamp with time zone not null,
  actor_id integer,
  from_status issue_status,
  to_status issue_status not null,
  note text,
  created_at timestamp with time zone default now() not null,
  kind text not null,
  details jsonb default '{}'::jsonb not null,
  constraint issue_events_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES staff(id) ON DELETE SET NULL,
  constraint issue_events_issue_id_fkey FOREIGN KEY (issue_id) REFERENCES issues(id) ON DELETE CASCADE,
  constraint issue_events_kind_known CHECK ((kind = ANY (ARRAY['registered'::text, 'accepted'::text, 'in_progress'::text, 'resolved'::text, 'closed'::text, 'reopened'::text, 'cancelled'::text, 'escalated'::text, 'returned'::text, 'extended'::text]))),
  constraint issue_events_pkey PRIMARY KEY (id)
);
alter table public.issue_events enable row level security;
CREATE INDEX issue_events_issue_at_idx ON public.issue_events USING btree (issue_id, at);
-- Append-only history of each issue: every status change, escalation, return and extension.

create table public.issues (
  id integer generated by default as identity not null,
  reg_no text not null,
  category issue_category not null,
  description text not null,
  location geometry(Point,4326) not null,
  grid_id integer not null,
  building_id integer,
  household_id integer,
  reporter_name text,
  reporter_address text,
  reporter_work_unit text,
  reporter_contact text,
  complexity issue_complexity not null,
  tier issue_tier not null,
  status issue_status default 'registered'::issue_status not null,
  received_at timestamp with time zone not null,
  due_at timestamp with time zone not null,
  closed_at timestamp with time zone,
  evaluation issue_evaluation default 'not_rated'::issue_evaluation not null,
  created_at timestamp with time zone default now() not null,
  escalated_from issue_tier,
  original_due_at timestamp with time zone,
  extension_reason text,
  registered_by integer,
  original_reg_no text,
  import_batch_id uuid,
  import_key text,
  constraint issues_building_id_fkey FOREIGN KEY (building_id) REFERENCES buildings(id) ON DELETE SET NULL,
  constraint issues_closed_has_time CHECK (((status = 'closed'::issue_status) = (closed_at IS NOT NULL))),
  constraint issues_description_check CHECK (((length(description) >= 1) AND (length(description) <= 5000))),
  constraint issues_due_after_received CHECK ((due_at > received_at)),
  constraint issues_extension_reason_check CHECK (((extension_reason IS NULL) OR ((length(extension_reason) >= 1) AND (length(extension_reason) <= 500)))),
  constraint issues_grid_id_fkey FOREIGN KEY (grid_id) REFERENCES grids(id) ON DELETE RESTRICT,
  constraint issues_household_id_fkey FOREIGN KEY (household_id) REFERENCES households(id) ON DELETE SET NULL,
  constraint issues_import_batch_id_fkey FOREIGN KEY (import_batch_id) REFERENCES import_batches(id) ON DELETE SET NULL,
  constraint issues_import_key_is_imported CHECK (((import_key IS NULL) OR (import_batch_id IS NOT NULL))),
  constraint issues_import_key_key UNIQUE (import_key),
  constraint issues_original_reg_no_check CHECK (((original_reg_no IS NULL) OR ((length(original_reg_no) >= 1) AND (length(original_reg_no) <= 50)))),
  constraint issues_pkey PRIMARY KEY (id),
  constraint issues_reg_no_check CHECK ((reg_no ~ '^[0-9]{4}(0[1-9]|1[0-2])[0-9]{3}$'::text)),
  constraint issues_reg_no_key UNIQUE (reg_no),
  constraint issues_registered_by_fkey FOREIGN KEY (registered_by) REFERENCES staff(id) ON DELETE SET NULL
);
alter table public.issues enable row level security;
CREATE INDEX issues_building_id_idx ON public.issues USING btree (building_id) WHERE (building_id IS NOT NULL);
CREATE INDEX issues_grid_status_idx ON public.issues USING btree (grid_id, status);
CREATE INDEX issues_location_gist ON public.issues USING gist (location);
CREATE INDEX issues_received_at_idx ON public.issues USING btree (received_at);
-- An issue (民情民意事项) registered in a grid: what, where, reporter, tier, status and deadline.

create table public.meeting_actions (
  id integer generated by default as identity not null,
  meeting_id integer not null,
  grid_id integer not null,
  decision text not null,
  owner_id integer not null,
  due_on date not null,
  done boolean default false not null,
  done_on date,
  created_at timestamp with time zone default now() not null,
  constraint meeting_actions_decision_check CHECK (((length(decision) >= 1) AND (length(decision) <= 1000))),
  constraint meeting_actions_done_has_date CHECK ((done = (done_on IS NOT NULL))),
  constraint meeting_actions_grid_id_fkey FOREIGN KEY (grid_id) REFERENCES grids(id) ON DELETE RESTRICT,
  constraint meeting_actions_meeting_id_fkey FOREIGN KEY (meeting_id) REFERENCES meetings(id) ON DELETE CASCADE,
  constraint meeting_actions_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES staff(id) ON DELETE RESTRICT,
  constraint meeting_actions_pkey PRIMARY KEY (id)
);
alter table public.meeting_actions enable row level security;
CREATE INDEX meeting_actions_meeting_idx ON public.meeting_actions USING btree (meeting_id);
-- A meeting's decision for one grid, with an owner, a due date and whether it is done.

create table public.meetings (
  id integer generated by default as identity not null,
  community_id integer not null,
  month text not null,
  held_on date not null,
  type meeting_type not null,
  attendee_staff_ids integer[] default '{}'::integer[] not null,
  attendee_names text[] default '{}'::text[] not null,
  notes text,
  created_by integer,
  created_at timestamp with time zone default now() not null,
  constraint meetings_attendee_names_check CHECK ((cardinality(attendee_names) <= 100)),
  constraint meetings_community_id_fkey FOREIGN KEY (community_id) REFERENCES communities(id) ON DELETE RESTRICT,
  constraint meetings_created_by_fkey FOREIGN KEY (created_by) REFERENCES staff(id) ON DELETE SET NULL,
  constraint meetings_month_check CHECK ((month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'::text)),
  constraint meetings_notes_check CHECK ((length(notes) <= 5000)),
  constraint meetings_pkey PRIMARY KEY (id)
);
alter table public.meetings enable row level security;
CREATE INDEX meetings_community_month_idx ON public.meetings USING btree (community_id, month);
-- A community's meeting (analysis or consultation) reviewing one month, with attendees and notes.

create table public.patrols (
  id integer generated by default as identity not null,
  grid_id integer not null,
  staff_id integer not null,
  started_at timestamp with time zone not null,
  ended_at timestamp with time zone,
  track geometry(LineString,4326),
  created_at timestamp with time zone default now() not null,
  track_inside_share real,
  flagged_for_review boolean default false not null,
  constraint patrols_end_after_start CHECK (((ended_at IS NULL) OR (ended_at > started_at))),
  constraint patrols_grid_id_fkey FOREIGN KEY (grid_id) REFERENCES grids(id) ON DELETE RESTRICT,
  constraint patrols_pkey PRIMARY KEY (id),
  constraint patrols_staff_id_fkey FOREIGN KEY (staff_id) REFERENCES staff(id) ON DELETE RESTRICT,
  constraint patrols_track_inside_share_check CHECK (((track_inside_share >= (0)::double precision) AND (track_inside_share <= (1)::double precision)))
);
alter table public.patrols enable row level security;
CREATE INDEX patrols_grid_started_at_idx ON public.patrols USING btree (grid_id, started_at DESC);
-- A grid leader's patrol of a grid: start, end and track, flagged when mostly outside the grid.

create table public.roads (
  id integer generated by default as identity not null,
  street_id integer not null,
  name text,
  kind text default 'residential'::text not null,
  geom geometry(MultiLineString,4326) not null,
  constraint roads_geom_is_valid CHECK ((st_isvalid(geom) AND (NOT st_isempty(geom)))),
  constraint roads_pkey PRIMARY KEY (id),
  constraint roads_street_id_fkey FOREIGN KEY (street_id) REFERENCES streets(id) ON DELETE CASCADE
);
alter table public.roads enable row level security;
CREATE INDEX roads_geom_gist ON public.roads USING gist (geom);
CREATE INDEX roads_street_id_idx ON public.roads USING btree (street_id);
-- Named road centrelines, a reference layer for the map and for boundaries.

create table public.staff (
  id integer generated by default as identity not null,
  user_id uuid,
  street_id integer not null,
  community_id integer,
  name text not null,
  phone text,
  email text,
  role staff_role not null,
  active boolean default true not null,
  created_at timestamp with time zone default now() not null,
  constraint staff_community_id_fkey FOREIGN KEY (community_id) REFERENCES communities(id) ON DELETE RESTRICT,
  constraint staff_community_matches_role CHECK (((role = ANY (ARRAY['street_leader'::staff_role, 'presenter'::staff_role])) OR (community_id IS NOT NULL))),
  constraint staff_email_key UNIQUE (email),
  constraint staff_pkey PRIMARY KEY (id),
  constraint staff_street_id_fkey FOREIGN KEY (street_id) REFERENCES streets(id) ON DELETE RESTRICT,
  constraint staff_user_id_key UNIQUE (user_id)
);
alter table public.staff enable row level security;
CREATE INDEX staff_community_id_idx ON public.staff USING btree (community_id);
-- A staff member of a street: role, community, and the auth user they sign in as.

create table public.staff_grids (
  staff_id integer not null,
  grid_id integer not null,
  constraint staff_grids_grid_id_fkey FOREIGN KEY (grid_id) REFERENCES grids(id) ON DELETE CASCADE,
  constraint staff_grids_pkey PRIMARY KEY (staff_id, grid_id),
  constraint staff_grids_staff_id_fkey FOREIGN KEY (staff_id) REFERENCES staff(id) ON DELETE CASCADE
);
alter table public.staff_grids enable row level security;
CREATE INDEX staff_grids_grid_id_idx ON public.staff_grids USING btree (grid_id);
-- Which grids each grid leader or member serves; scope is data.

create table public.streets (
  id integer generated by default as identity not null,
  code text not null,
  name text not null,
  boundary geometry(MultiPolygon,4326),
  is_demo boolean default false not null,
  created_at timestamp with time zone default now() not null,
  grid_code_pattern text,
  boundary_from_communities boolean default false not null,
  constraint streets_boundary_is_valid CHECK ((st_isvalid(boundary) AND (NOT st_isempty(boundary)))),
  constraint streets_code_key UNIQUE (code),
  constraint streets_grid_code_pattern_anchored CHECK (((grid_code_pattern IS NULL) OR ((grid_code_pattern ~ '^\^'::text) AND (grid_code_pattern ~ '\$$'::text) AND (char_length(grid_code_pattern) <= 200)))),
  constraint streets_pkey PRIMARY KEY (id)
);
alter table public.streets enable row level security;
CREATE INDEX streets_boundary_gist ON public.streets USING gist (boundary);
-- A street (街道): the unit that adopts the product; code is its 12-digit 行政区划代码.

create table public.visit_policies (
  id integer generated by default as identity not null,
  street_id integer not null,
  community_id integer,
  valid_from date not null,
  settings jsonb not null,
  created_by integer,
  created_at timestamp with time zone default now() not null,
  constraint visit_policies_community_id_fkey FOREIGN KEY (community_id) REFERENCES communities(id) ON DELETE CASCADE,
  constraint visit_policies_created_by_fkey FOREIGN KEY (created_by) REFERENCES staff(id) ON DELETE SET NULL,
  constraint visit_policies_pkey PRIMARY KEY (id),
  constraint visit_policies_settings_check CHECK ((jsonb_typeof(settings) = 'object'::text)),
  constraint visit_policies_street_id_community_id_valid_from_key UNIQUE NULLS NOT DISTINCT (street_id, community_id, valid_from),
  constraint visit_policies_street_id_fkey FOREIGN KEY (street_id) REFERENCES streets(id) ON DELETE CASCADE
);
alter table public.visit_policies enable row level security;
-- Versions of the visit policy per street or community, each in force from valid_from.

create table public.visits (
  id integer generated by default as identity not null,
  household_id integer not null,
  visitor_id integer,
  visited_at timestamp with time zone not null,
  method visit_method not null,
  result visit_result not null,
  duration_min smallint,
  notes text,
  location geometry(Point,4326),
  accuracy_m real,
  flagged_for_review boolean default false not null,
  idempotency_key text,
  created_at timestamp with time zone default now() not null,
  distance_m real,
  visitor_label text,
  import_batch_id uuid,
  import_key text,
  constraint visits_accuracy_m_check CHECK ((accuracy_m >= (0)::double precision)),
  constraint visits_distance_m_check CHECK ((distance_m >= (0)::double precision)),
  constraint visits_duration_min_check CHECK (((duration_min >= 0) AND (duration_min <= 1440))),
  constraint visits_household_id_fkey FOREIGN KEY (household_id) REFERENCES households(id) ON DELETE RESTRICT,
  constraint visits_import_batch_id_fkey FOREIGN KEY (import_batch_id) REFERENCES import_batches(id) ON DELETE SET NULL,
  constraint visits_import_key_key UNIQUE (import_key),
  constraint visits_import_key_with_batch CHECK (((import_batch_id IS NULL) OR (import_key IS NOT NULL))),
  constraint visits_pkey PRIMARY KEY (id),
  constraint visits_visitor_id_fkey FOREIGN KEY (visitor_id) REFERENCES staff(id) ON DELETE RESTRICT,
  constraint visits_visitor_id_idempotency_key_key UNIQUE (visitor_id, idempotency_key),
  constraint visits_visitor_known_unless_imported CHECK (((visitor_id IS NOT NULL) OR (import_key IS NOT NULL)))
);
alter table public.visits enable row level security;
CREATE INDEX visits_household_visited_at_idx ON public.visits USING btree (household_id, visited_at DESC);
CREATE INDEX visits_visitor_visited_at_idx ON public.visits USING btree (visitor_id, visited_at DESC);
-- A visit to a household (民情日记): who, when, how, the result, and where, flagged when far from the building.

-- =============================================================================================
-- Views
-- =============================================================================================

create view public.audit_records with (security_barrier=true) as
 SELECT a.id,
    a.at,
    a.user_id,
    a.staff_id,
    staff_display_name(a.staff_id) AS staff_name,
    a.action,
    a.table_name,
    a.row_ids,
    a.community_id,
        CASE
            WHEN me.full_scope THEN a.old_values
            ELSE minqing.mask_row_image(a.old_values)
        END AS old_values,
        CASE
            WHEN me.full_scope THEN a.new_values
            ELSE minqing.mask_row_image(a.new_values)
        END AS new_values,
    a.reason
   FROM audit_log a
     CROSS JOIN LATERAL ( SELECT me_1.role,
            me_1.community_id = a.community_id AND me_1.role = 'community_staff'::staff_role AND NOT minqing.presenting() AS full_scope
           FROM minqing.my_staff() me_1(staff_id, role, street_id, community_id)
          WHERE a.street_id = me_1.street_id AND (me_1.role = 'street_leader'::staff_role OR me_1.role = 'community_staff'::staff_role AND me_1.community_id = a.community_id)) me;
-- The audit log as the caller may read it: own community in full, the street masked for its leader.

create view public.household_records with (security_barrier=true) as
 WITH ids AS MATERIALIZED (
         SELECT minqing.full_grid_ids() AS f,
            minqing.visible_grid_ids() AS v
        ), acc AS MATERIALIZED (
         SELECT f.id AS grid_id,
            'full'::text AS access
           FROM ids,
            LATERAL unnest(ids.f) f(id)
        UNION ALL
         SELECT v.id,
            'masked'::text
           FROM ids,
            LATERAL unnest(ids.v) v(id)
          WHERE NOT (v.id = ANY (ids.f))
        )
 SELECT h.id,
    h.building_id,
    b.grid_id,
    b.address,
    h.unit,
    h.room,
        CASE
            WHEN acc.access = 'full'::text THEN h.head_name
            ELSE minqing.mask_name(h.head_name)
        END AS head_name,
        CASE
            WHEN acc.access = 'full'::text THEN h.phone
            ELSE minqing.mask_phone(h.phone)
        END AS phone,
        CASE
            WHEN acc.access = 'full'::text THEN h.id_number
            ELSE minqing.mask_id_number(h.id_number)
        END AS id_number,
    h.members,
    h.categories,
    h.classification,
    h.moved_in,
    h.moved_out,
    acc.access <> 'full'::text AS masked
   FROM households h
     JOIN buildings b ON b.id = h.building_id
     JOIN acc ON acc.grid_id = b.grid_id
  WHERE acc.access = ANY (ARRAY['full'::text, 'masked'::text]);
-- Households the caller may know exist, personal fields masked outside their full scope.

create view public.issue_event_records with (security_barrier=true) as
 WITH ids AS MATERIALIZED (
         SELECT minqing.full_grid_ids() AS f,
            minqing.visible_grid_ids() AS v
        ), acc AS MATERIALIZED (
         SELECT f.id AS grid_id,
            'full'::text AS access
           FROM ids,
            LATERAL unnest(ids.f) f(id)
        UNION ALL
         SELECT v.id,
            'masked'::text
           FROM ids,
            LATERAL unnest(ids.v) v(id)
          WHERE NOT (v.id = ANY (ids.f))
        )
 SELECT e.id,
    e.issue_id,
    e.at,
    e.actor_id,
    staff_display_name(e.actor_id) AS actor_name,
    e.kind,
    e.from_status,
    e.to_status,
    e.details,
        CASE
            WHEN acc.access = 'full'::text THEN e.note
            ELSE minqing.mask_text(e.note)
        END AS note
   FROM issue_events e
     JOIN issues i ON i.id = e.issue_id
     JOIN acc ON acc.grid_id = i.grid_id
  WHERE acc.access = ANY (ARRAY['full'::text, 'masked'::text]);
-- Issue events the caller may know exist, notes masked as the issue's reporter fields are.

create view public.issue_origins with (security_barrier=true) as
 WITH ids AS MATERIALIZED (
         SELECT minqing.visible_grid_ids() AS v
        )
 SELECT i.id,
    i.original_reg_no,
    i.import_batch_id
   FROM issues i,
    ids
  WHERE i.import_batch_id IS NOT NULL AND (i.grid_id = ANY (ids.v));
-- Imported matters the caller may know exist: their ledger's original number and import batch.

create view public.issue_records with (security_barrier=true) as
 WITH ids AS MATERIALIZED (
         SELECT minqing.full_grid_ids() AS f,
            minqing.visible_grid_ids() AS v
        ), acc AS MATERIALIZED (
         SELECT f.id AS grid_id,
            'full'::text AS access
           FROM ids,
            LATERAL unnest(ids.f) f(id)
        UNION ALL
         SELECT v.id,
            'masked'::text
           FROM ids,
            LATERAL unnest(ids.v) v(id)
          WHERE NOT (v.id = ANY (ids.f))
        )
 SELECT i.id,
    i.reg_no,
    i.category,
    i.description,
    i.location,
    i.grid_id,
    i.building_id,
    i.household_id,
        CASE
            WHEN acc.access = 'full'::text THEN i.reporter_name
            ELSE minqing.mask_name(i.reporter_name)
        END AS reporter_name,
        CASE
            WHEN acc.access = 'full'::text THEN i.reporter_address
            ELSE minqing.mask_text(i.reporter_address)
        END AS reporter_address,
        CASE
            WHEN acc.access = 'full'::text THEN i.reporter_work_unit
            ELSE minqing.mask_text(i.reporter_work_unit)
        END AS reporter_work_unit,
        CASE
            WHEN acc.access = 'full'::text THEN i.reporter_contact
            ELSE minqing.mask_phone(i.reporter_contact)
        END AS reporter_contact,
    i.complexity,
    i.tier,
    i.status,
    i.received_at,
    i.due_at,
    i.closed_at,
    i.evaluation,
    acc.access <> 'full'::text AS masked,
    i.escalated_from,
    i.original_due_at,
    i.extension_reason
   FROM issues i
     JOIN acc ON acc.grid_id = i.grid_id
  WHERE acc.access = ANY (ARRAY['full'::text, 'masked'::text]);
-- Issues the caller may know exist, reporter fields masked outside their full scope.

create view public.visit_records with (security_barrier=true) as
 WITH ids AS MATERIALIZED (
         SELECT minqing.full_grid_ids() AS f,
            minqing.visible_grid_ids() AS v
        ), acc AS MATERIALIZED (
         SELECT f.id AS grid_id,
            'full'::text AS access
           FROM ids,
            LATERAL unnest(ids.f) f(id)
        UNION ALL
         SELECT v_1.id,
            'masked'::text
           FROM ids,
            LATERAL unnest(ids.v) v_1(id)
          WHERE NOT (v_1.id = ANY (ids.f))
        )
 SELECT v.id,
    v.household_id,
    b.grid_id,
    v.visitor_id,
    staff_display_name(v.visitor_id) AS visitor_name,
    v.visited_at,
    v.method,
    v.result,
    v.duration_min,
        CASE
            WHEN acc.access = 'full'::text THEN v.notes
            ELSE minqing.mask_text(v.notes)
        END AS notes,
    v.flagged_for_review,
    acc.access <> 'full'::text AS masked
   FROM visits v
     JOIN households h ON h.id = v.household_id
     JOIN buildings b ON b.id = h.building_id
     JOIN acc ON acc.grid_id = b.grid_id
  WHERE acc.access = ANY (ARRAY['full'::text, 'masked'::text]);
-- Visits the caller may know exist, notes masked outside their full scope.

-- =============================================================================================
-- Functions
-- =============================================================================================

CREATE OR REPLACE FUNCTION minqing.announce_changes()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
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
$function$
;

CREATE OR REPLACE FUNCTION minqing.audit_row_change()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  img jsonb := to_jsonb(coalesce(new, old));
  community integer;
  me record;
begin
  if auth.uid() is null then
    return coalesce(new, old);
  end if;
  select * into me from minqing.my_staff();
  community := case tg_table_name
    when 'households' then minqing.community_of_grid(minqing.grid_of_building((img ->> 'building_id')::integer))
    when 'visits' then minqing.community_of_grid(minqing.grid_of_household((img ->> 'household_id')::integer))
    when 'buildings' then minqing.community_of_grid((img ->> 'grid_id')::integer)
    when 'issues' then minqing.community_of_grid((img ->> 'grid_id')::integer)
    when 'patrols' then minqing.community_of_grid((img ->> 'grid_id')::integer)
    when 'staff_grids' then minqing.community_of_grid((img ->> 'grid_id')::integer)
    else (img ->> 'community_id')::integer
  end;
  insert into public.audit_log (user_id, staff_id, action, table_name, row_ids, street_id, community_id, old_values, new_values)
  values (
    auth.uid(), me.staff_id, lower(tg_op), tg_table_name,
    case when img ? 'id' then array[(img ->> 'id')::integer] else array[(img ->> 'grid_id')::integer] end,
    coalesce(me.street_id, (select street_id from public.communities where id = community)), community,
    case when tg_op <> 'INSERT' then to_jsonb(old) end,
    case when tg_op <> 'DELETE' then to_jsonb(new) end
  );
  return coalesce(new, old);
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.boundary_editor_role(p_grid_id integer)
 RETURNS text
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  select case
    when minqing.presenting() then null
    when me.role = 'community_staff' and g.community_id = me.community_id then 'community_staff'
    when me.role = 'grid_leader'
      and exists (select 1 from public.staff_grids sg where sg.staff_id = me.staff_id and sg.grid_id = g.id) then 'grid_leader'
  end
  from minqing.my_staff() me join public.grids g on g.id = p_grid_id
$function$
;

CREATE OR REPLACE FUNCTION minqing.building_grid_track()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
begin
  if tg_op = 'INSERT' then
    insert into public.building_grid_history (building_id, grid_id, valid_from) values (new.id, new.grid_id, '-infinity');
  elsif new.grid_id is distinct from old.grid_id then
    update public.building_grid_history set grid_id = new.grid_id
    where building_id = new.id and valid_to is null and valid_from = now();
    if not found then
      update public.building_grid_history set valid_to = now() where building_id = new.id and valid_to is null;
      insert into public.building_grid_history (building_id, grid_id, valid_from) values (new.id, new.grid_id, now());
    end if;
  end if;
  return null;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.building_rows_of(as_of date, ids integer[])
 RETURNS SETOF minqing.building_rollup
 LANGUAGE sql
 STABLE
AS $function$
  with pol as (
    select c.id as community_id, public.policy_settings_at(c.id, as_of) as s from public.communities c
    where ids is null or c.id in (
      select g.community_id from public.building_grid_history bgh join public.grids g on g.id = bgh.grid_id
      where bgh.building_id = any(ids) and bgh.valid_from < public.china_day_end(as_of) and (bgh.valid_to is null or bgh.valid_to >= public.china_day_end(as_of)))
    union all
    select null, public.policy_settings_at(null, as_of)
  ),
  h as (
    select hr.building_id, count(*)::int as n, count(*) filter (where covered)::int as covered,
      count(*) filter (where overdue)::int as overdue, count(*) filter (where at_risk)::int as at_risk,
      count(*) filter (where at_risk and overdue)::int as at_risk_overdue, max(last_visit) as last_visit
    from minqing.household_rollup hr
    where ids is null or hr.building_id = any(ids)
    group by hr.building_id
  ),
  i as (select * from minqing.issue_counts_of(as_of, 'building', ids)),
  r as (
    select b.id, bgh.grid_id, pol.s,
      coalesce(h.n, 0) as n, coalesce(h.covered, 0) as covered, coalesce(h.overdue, 0) as overdue,
      coalesce(h.at_risk, 0) as at_risk, coalesce(h.at_risk_overdue, 0) as at_risk_overdue,
      coalesce(i.open, 0) as open_issues, coalesce(i.overdue, 0) as overdue_issues,
      as_of - h.last_visit as days_visit, gr.days_since_last_patrol as days_patrol
    from public.buildings b
    left join public.building_grid_history bgh on bgh.building_id = b.id and bgh.valid_from < public.china_day_end(as_of) and (bgh.valid_to is null or bgh.valid_to >= public.china_day_end(as_of))
    left join public.grids g on g.id = bgh.grid_id
    join pol on coalesce(pol.community_id, 0) = coalesce(g.community_id, 0)
    left join h on h.building_id = b.id left join i on i.id = b.id
    left join minqing.grid_rollup gr on gr.grid_id = bgh.grid_id
    where ids is null or b.id = any(ids)
  )
  select r.id, r.grid_id, r.n, r.covered, case when r.n > 0 then r.covered::float8 / r.n end,
    r.overdue, r.at_risk, r.at_risk_overdue, r.open_issues, r.overdue_issues, r.days_visit, r.days_patrol,
    (a ->> 'total')::float8, a - 'total'
  from r, lateral public.attention_points(r.s, r.n, r.covered, r.at_risk, r.at_risk_overdue, r.overdue_issues, r.days_patrol) a
$function$
;

CREATE OR REPLACE FUNCTION minqing.bump_geometry_version()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
begin
  update minqing.geometry_state set version = version + 1;
  return null;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.can_work_in_grid(p_grid_id integer)
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  select minqing.grid_access(p_grid_id) = 'full'
$function$
;

CREATE OR REPLACE FUNCTION minqing.community_of_grid(p_grid_id integer)
 RETURNS integer
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$ select community_id from public.grids where id = p_grid_id $function$
;

CREATE OR REPLACE FUNCTION minqing.community_version_follows_change()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'public', 'extensions'
AS $function$
begin
  if new.code is distinct from old.code or new.name is distinct from old.name
     or not coalesce(ST_Equals(new.boundary, old.boundary), new.boundary is null and old.boundary is null) then
    new.version := old.version + 1;
    new.updated_at := now();
  else
    new.version := old.version;
  end if;
  return new;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.create_street_with_leader(p_name text, p_code text, p_leader_name text, p_leader_email text, p_password_hash text, p_one_time boolean)
 RETURNS TABLE(street_id integer, staff_id integer, user_id uuid)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  sid integer;
  lid integer;
  uid uuid := case when p_password_hash is null then null else gen_random_uuid() end;
begin
  insert into public.streets (code, name) values (p_code, p_name) returning id into sid;
  insert into public.staff (user_id, street_id, name, email, role)
  values (uid, sid, p_leader_name, lower(p_leader_email), 'street_leader') returning id into lid;
  if uid is not null then
    insert into minqing.local_accounts (user_id, email, password_hash, must_change_password, password_changed_at)
    values (uid, lower(p_leader_email), p_password_hash, p_one_time, now());
  end if;
  -- Who set the street up: the administrator's user id, or none for the first setup (no caller).
  insert into public.audit_log (user_id, action, table_name, row_ids, street_id, new_values, reason)
  values (auth.uid(), 'insert', 'streets', array[sid], sid,
          jsonb_build_object('code', p_code, 'name', p_name, 'leader_staff_id', lid), 'street_setup');
  return query select sid, lid, uid;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.flag_patrol_off_grid()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
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
  select avg(case when ST_Intersects(p.geom, g.boundary) or ST_DWithin(p.geom::geography, g.boundary::geography, fence)
                  then 1.0 else 0.0 end)
    into new.track_inside_share
  from public.grids g,
    lateral ST_DumpPoints(ST_Segmentize(new.track::geography, 10)::geometry) p
  where g.id = new.grid_id;
  new.flagged_for_review := coalesce(new.track_inside_share < 0.5, false);
  return new;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.flag_visit_far_from_building()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
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
$function$
;

CREATE OR REPLACE FUNCTION minqing.full_grid_ids()
 RETURNS integer[]
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
begin
  return case when minqing.presenting() then '{}'::integer[] else minqing.scope_grid_ids() end;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.grid_access(p_grid_id integer)
 RETURNS text
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  select case
    when p_grid_id = any (minqing.full_grid_ids()) then 'full'
    when p_grid_id = any (minqing.visible_grid_ids()) then 'masked'
    else 'none'
  end
$function$
;

CREATE OR REPLACE FUNCTION minqing.grid_first_version()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
begin
  if coalesce(current_setting('minqing.boundary_commit', true), '') = 'on' then
    return null;
  end if;
  if coalesce(current_setting('minqing.change_kind', true), '') = 'imported' then
    insert into public.grid_versions (grid_id, version, community_id, code, name, boundary, valid_from, kind,
                                      staff_id, user_id, reason)
    values (new.id, new.version, new.community_id, new.code, new.name, new.boundary,
            case when exists (
                   select 1 from public.grid_versions v
                   where v.grid_id <> new.id and v.boundary && new.boundary
                     and ST_Area(ST_Intersection(v.boundary, new.boundary)::geography) > 1)
                 then now() else '-infinity' end,
            'imported', (select s.staff_id from minqing.my_staff() s limit 1), auth.uid(),
            nullif(current_setting('minqing.change_reason', true), ''));
  else
    insert into public.grid_versions (grid_id, version, community_id, code, name, boundary, valid_from, kind)
    values (new.id, new.version, new.community_id, new.code, new.name, new.boundary, '-infinity', 'created');
  end if;
  return null;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.grid_household_ids(p_grid_id integer, as_of date)
 RETURNS integer[]
 LANGUAGE sql
 STABLE
 SET search_path TO 'public', 'extensions'
AS $function$
  select coalesce(array_agg(h.id), '{}')
  from public.building_grid_history bgh
  join public.households h on h.building_id = bgh.building_id
  where bgh.grid_id = p_grid_id
    and bgh.valid_from < public.china_day_end(as_of)
    and (bgh.valid_to is null or bgh.valid_to >= public.china_day_end(as_of))
$function$
;

CREATE OR REPLACE FUNCTION minqing.grid_of_building(p_building_id integer)
 RETURNS integer
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$ select grid_id from public.buildings where id = p_building_id $function$
;

CREATE OR REPLACE FUNCTION minqing.grid_of_household(p_household_id integer)
 RETURNS integer
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  select b.grid_id from public.households h join public.buildings b on b.id = h.building_id
  where h.id = p_household_id
$function$
;

CREATE OR REPLACE FUNCTION minqing.grid_rows_of(as_of date, ids integer[])
 RETURNS SETOF minqing.grid_rollup
 LANGUAGE sql
 STABLE
AS $function$
  with g as (
    select g.id, public.policy_settings_at(g.community_id, as_of) as s from public.grids g
    where (ids is null or g.id = any(ids))
      and exists (select 1 from public.grid_versions v where v.grid_id = g.id
                  and v.valid_from < public.china_day_end(as_of)
                  and (v.valid_to is null or v.valid_to >= public.china_day_end(as_of)))
  ),
  h as (
    select hr.grid_id, count(*)::int as n, count(*) filter (where covered)::int as covered,
      count(*) filter (where overdue)::int as overdue, count(*) filter (where at_risk)::int as at_risk,
      count(*) filter (where at_risk and overdue)::int as at_risk_overdue, max(last_visit) as last_visit
    from minqing.household_rollup hr
    where hr.grid_id is not null and (ids is null or hr.grid_id = any(ids))
    group by hr.grid_id
  ),
  i as (select * from minqing.issue_counts_of(as_of, 'grid', ids)),
  p as (select * from minqing.patrol_days_of(as_of, ids)),
  r as (
    select g.id, g.s, coalesce(h.n, 0) as n, coalesce(h.covered, 0) as covered, coalesce(h.overdue, 0) as overdue,
      coalesce(h.at_risk, 0) as at_risk, coalesce(h.at_risk_overdue, 0) as at_risk_overdue,
      coalesce(i.open, 0) as open_issues, coalesce(i.overdue, 0) as overdue_issues,
      as_of - h.last_visit as days_visit, p.days as days_patrol
    from g left join h on h.grid_id = g.id left join i on i.id = g.id left join p on p.grid_id = g.id
  )
  select r.id, r.n, r.covered, case when r.n > 0 then r.covered::float8 / r.n end,
    r.overdue, r.at_risk, r.at_risk_overdue, r.open_issues, r.overdue_issues, r.days_visit, r.days_patrol,
    (a ->> 'total')::float8, a - 'total'
  from r, lateral public.attention_points(r.s, r.n, r.covered, r.at_risk, r.at_risk_overdue, r.overdue_issues, r.days_patrol) a
$function$
;

CREATE OR REPLACE FUNCTION minqing.grid_version_follows_boundary()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'public', 'extensions'
AS $function$
begin
  if coalesce(current_setting('minqing.boundary_commit', true), '') <> 'on'
     and (not ST_Equals(new.boundary, old.boundary) or new.code is distinct from old.code or new.name is distinct from old.name) then
    new.version := old.version + 1;
    new.updated_at := now();
  end if;
  return new;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.grid_version_on_direct_change()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  relabel boolean := ST_Equals(new.boundary, old.boundary);
begin
  if coalesce(current_setting('minqing.boundary_commit', true), '') = 'on' or new.version = old.version then
    return null;
  end if;
  update public.grid_versions set valid_to = now() where grid_id = new.id and valid_to is null;
  insert into public.grid_versions (grid_id, version, community_id, code, name, boundary, valid_from, kind,
                                    staff_id, user_id, reason, households)
  values (new.id, new.version, new.community_id, new.code, new.name, new.boundary, now(),
          coalesce(nullif(current_setting('minqing.change_kind', true), ''),
                   case when not relabel then 'edited' when new.code is distinct from old.code then 'recoded' else 'renamed' end),
          (select s.staff_id from minqing.my_staff() s limit 1), auth.uid(),
          nullif(current_setting('minqing.change_reason', true), ''),
          case when relabel then (select v.households from public.grid_versions v where v.grid_id = new.id and v.version = old.version) end);
  return null;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.household_status_of(as_of date, ids integer[])
 RETURNS SETOF minqing.household_rollup
 LANGUAGE sql
 STABLE
AS $function$
  with pol as (
    select c.id as community_id, public.policy_settings_at(c.id, as_of) as s from public.communities c
    where ids is null or c.id in (
      select g.community_id from public.households h
      join public.building_grid_history bgh on bgh.building_id = h.building_id and bgh.valid_from < public.china_day_end(as_of) and (bgh.valid_to is null or bgh.valid_to >= public.china_day_end(as_of))
      join public.grids g on g.id = bgh.grid_id
      where h.id = any(ids))
    union all
    select null, public.policy_settings_at(null, as_of)
  ),
  -- What counts, once per community (0: buildings in no grid), in plain columns for the visits.
  rule as (
    select coalesce(community_id, 0) as k, s,
      array(select jsonb_array_elements_text(s -> 'countedMethods')) as methods,
      (s ->> 'notHomeCounts')::boolean as not_home
    from pol
  ),
  hh as (
    select h.id, h.building_id, bgh.grid_id, h.moved_in, rule.k,
      (select min((rule.s -> 'intervals' ->> c::text)::int) from unnest(h.categories) c) as required_interval,
      h.categories && array(select jsonb_array_elements_text(rule.s -> 'atRisk'))::public.household_category[] as at_risk
    from public.households h
    left join public.building_grid_history bgh on bgh.building_id = h.building_id and bgh.valid_from < public.china_day_end(as_of) and (bgh.valid_to is null or bgh.valid_to >= public.china_day_end(as_of))
    left join public.grids g on g.id = bgh.grid_id
    join rule on rule.k = coalesce(g.community_id, 0)
    where h.moved_in <= as_of and (h.moved_out is null or h.moved_out > as_of)
      and (ids is null or h.id = any(ids))
  ),
  lv as (
    select v.household_id, max(public.china_date(v.visited_at)) as last_visit
    from public.visits v
    join hh on hh.id = v.household_id
    join rule on rule.k = hh.k
    where public.china_date(v.visited_at) <= as_of
      and v.method::text = any (rule.methods)
      and (v.result = 'met' or rule.not_home)
    group by v.household_id
  )
  select hh.id, hh.building_id, hh.grid_id, hh.required_interval, lv.last_visit,
    coalesce(lv.last_visit > as_of - hh.required_interval, false),
    coalesce(lv.last_visit, hh.moved_in) + hh.required_interval,
    not coalesce(lv.last_visit > as_of - hh.required_interval, false)
      and coalesce(lv.last_visit, hh.moved_in) + hh.required_interval < as_of,
    hh.at_risk
  from hh left join lv on lv.household_id = hh.id
$function$
;

CREATE OR REPLACE FUNCTION minqing.import_report_without_personal_data(p_kind text, p_report jsonb)
 RETURNS jsonb
 LANGUAGE sql
 IMMUTABLE
AS $function$
  select case when p_kind in ('communities', 'grids', 'buildings') then p_report
    else p_report || jsonb_build_object(
      'problems', coalesce((
        select jsonb_agg(jsonb_strip_nulls(jsonb_build_object('code', p -> 'code', 'severity', p -> 'severity', 'row', p -> 'row'))
                         order by ord)
        from jsonb_array_elements(coalesce(p_report -> 'problems', '[]'::jsonb)) with ordinality as e(p, ord)), '[]'::jsonb),
      'personalDataRemoved', true)
  end
$function$
;

CREATE OR REPLACE FUNCTION minqing.imported_issue_keys(p_keys text[])
 RETURNS SETOF text
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  select i.import_key from public.issues i
  join public.grids g on g.id = i.grid_id
  join public.communities c on c.id = g.community_id
  where i.import_key = any (p_keys) and c.street_id = minqing.my_street_id()
$function$
;
-- Which of these import keys a matter of the caller's street already holds (a re-import skips them).

CREATE OR REPLACE FUNCTION minqing.is_installation_admin()
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  select exists (select 1 from minqing.installation_admins where user_id = auth.uid())
$function$
;

CREATE OR REPLACE FUNCTION minqing.issue_counts_of(as_of date, by text, ids integer[])
 RETURNS TABLE(id integer, open integer, overdue integer)
 LANGUAGE sql
 STABLE
AS $function$
  select k.id, count(*) filter (where o.open)::int, count(*) filter (where o.open and public.china_date(i.due_at) < as_of)::int
  from public.issues i
  cross join lateral (select case by when 'grid' then i.grid_id else i.building_id end as id) k
  cross join lateral (
    select public.china_date(i.received_at) <= as_of
      and (i.closed_at is null or public.china_date(i.closed_at) > as_of)
      and not exists (
        select 1 from public.issue_events e
        where e.issue_id = i.id and e.to_status = 'cancelled' and public.china_date(e.at) <= as_of
      ) as open
  ) o
  where k.id is not null
    and (ids is null or (by = 'grid' and i.grid_id = any(ids)) or (by = 'building' and i.building_id = any(ids)))
  group by k.id
$function$
;

CREATE OR REPLACE FUNCTION minqing.link_auth_user(p_staff_id integer)
 RETURNS uuid
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  target public.staff;
  uid uuid;
begin
  target := minqing.managed_staff(p_staff_id, 'link');
  if to_regclass('auth.users') is null or target.email is null then
    return null;
  end if;
  execute 'select id from auth.users where lower(email) = lower($1) limit 1' into uid using target.email;
  if uid is not null then
    update public.staff set user_id = uid where id = p_staff_id and user_id is null;
  end if;
  return uid;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.managed_staff(p_staff_id integer, p_what text)
 RETURNS staff
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  target public.staff;
begin
  select * into target from public.staff where id = p_staff_id;
  if target.id is null or not minqing.may_manage_staff(target.role, target.street_id, target.community_id) then
    raise exception 'you may not % staff member %', p_what, p_staff_id using errcode = 'insufficient_privilege';
  end if;
  return target;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.mask_id_number(v text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
AS $function$
  select case
    when v is null then null
    when char_length(v) <= 2 then repeat('*', char_length(v))
    else left(v, 1) || repeat('*', char_length(v) - 2) || right(v, 1)
  end
$function$
;

CREATE OR REPLACE FUNCTION minqing.mask_name(v text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
AS $function$
  select case
    when v is null then null
    when char_length(v) <= 1 then '*'
    when char_length(v) = 2 then left(v, 1) || '*'
    else left(v, 1) || repeat('*', char_length(v) - 2) || right(v, 1)
  end
$function$
;

CREATE OR REPLACE FUNCTION minqing.mask_phone(v text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
AS $function$
  select case
    when v is null then null
    when char_length(v) >= 11 then left(v, 3) || repeat('*', char_length(v) - 7) || right(v, 4)
    when char_length(v) >= 5 then repeat('*', char_length(v) - 2) || right(v, 2)
    else repeat('*', char_length(v))
  end
$function$
;

CREATE OR REPLACE FUNCTION minqing.mask_row_image(j jsonb)
 RETURNS jsonb
 LANGUAGE sql
 IMMUTABLE
AS $function$
  select case when j is null then null else j
    || case when j ? 'head_name' then jsonb_build_object('head_name', minqing.mask_name(j ->> 'head_name')) else '{}' end
    || case when j ? 'phone' then jsonb_build_object('phone', minqing.mask_phone(j ->> 'phone')) else '{}' end
    || case when j ? 'id_number' then jsonb_build_object('id_number', minqing.mask_id_number(j ->> 'id_number')) else '{}' end
    || case when j ? 'notes' then jsonb_build_object('notes', minqing.mask_text(j ->> 'notes')) else '{}' end
    || case when j ? 'reporter_name' then jsonb_build_object('reporter_name', minqing.mask_name(j ->> 'reporter_name')) else '{}' end
    || case when j ? 'reporter_contact' then jsonb_build_object('reporter_contact', minqing.mask_phone(j ->> 'reporter_contact')) else '{}' end
    || case when j ? 'reporter_address' then jsonb_build_object('reporter_address', minqing.mask_text(j ->> 'reporter_address')) else '{}' end
    || case when j ? 'reporter_work_unit' then jsonb_build_object('reporter_work_unit', minqing.mask_text(j ->> 'reporter_work_unit')) else '{}' end
  end
$function$
;

CREATE OR REPLACE FUNCTION minqing.mask_text(v text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
AS $function$ select case when v is null then null else '***' end $function$
;

CREATE OR REPLACE FUNCTION minqing.may_manage_staff(p_role staff_role, p_street_id integer, p_community_id integer)
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  select coalesce((
    select not minqing.presenting() and me.street_id = p_street_id and (
      (me.role = 'street_leader' and p_role in ('community_staff', 'grid_leader', 'grid_member', 'presenter'))
      or (me.role = 'community_staff' and me.community_id = p_community_id
          and p_role in ('community_staff', 'grid_leader', 'grid_member'))
    )
    from minqing.my_staff() me
  ), false)
$function$
;

CREATE OR REPLACE FUNCTION minqing.month_snapshot_drift(p_month_end date)
 RETURNS TABLE(grid_id integer, metric text, snapshot_value jsonb, reference_value jsonb)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
 SET "request.jwt.claims" TO ''
AS $function$
declare
  f date := date_trunc('month', p_month_end)::date;
begin
  return query
  with snap as (
    select s.grid_id as id, to_jsonb(s) - 'month_end' - 'grid_id' as j
    from public.grid_month_snapshots s where s.month_end = p_month_end
  ),
  gs as materialized (select * from public.grid_stats(p_month_end)),
  v as materialized (select * from public.report_visit_timeliness(f, p_month_end)),
  i as materialized (select * from public.issue_indicators(f, p_month_end)),
  p as materialized (select * from public.report_patrol_days(f, p_month_end, p_month_end)),
  k as (select x.grid_id from gs x union select x.grid_id from v x union select x.grid_id from i x union select x.grid_id from p x),
  ref as (
    select k.grid_id as id, jsonb_build_object('listed', gs.grid_id is not null) || coalesce(to_jsonb(gs) - 'grid_id', '{}') || jsonb_build_object(
      'visits_due', coalesce(v.due, 0), 'visits_done', coalesce(v.done, 0), 'visits_on_time', coalesce(v.on_time, 0),
      'issues_registered', coalesce(i.registered, 0), 'issues_closed', coalesce(i.closed, 0),
      'issues_closed_on_time', coalesce(i.closed_on_time, 0), 'issues_rated', coalesce(i.rated, 0),
      'issues_satisfied', coalesce(i.satisfied, 0), 'patrol_days_met', coalesce(p.days_met, 0),
      'patrol_days_judged', coalesce(p.days_judged, 0)) as j
    from k
    left join gs on gs.grid_id = k.grid_id
    left join v on v.grid_id = k.grid_id
    left join i on i.grid_id = k.grid_id
    left join p on p.grid_id = k.grid_id
    where k.grid_id is not null
  ),
  pairs as (select coalesce(snap.id, ref.id) as id, snap.j as s, ref.j as r from snap full join ref on ref.id = snap.id)
  -- The reference's keys: a grid not listed at E has no grid_stats figures to compare.
  select pr.id, m.key, pr.s -> m.key, pr.r -> m.key
  from pairs pr cross join lateral jsonb_object_keys(coalesce(pr.r, pr.s)) as m(key)
  where (pr.s -> m.key) is distinct from (pr.r -> m.key)
  order by 1, 2;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.month_snapshots_invalidate(p_from date)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
begin
  if p_from is null then return; end if;
  update minqing.stats_state set version = version + 1;
  with gone as (delete from minqing.month_snapshot_state where month_end >= p_from returning month_end)
  delete from public.grid_month_snapshots s where s.month_end >= p_from;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.my_led_street()
 RETURNS integer
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$ select street_id from minqing.my_staff() where role = 'street_leader' $function$
;
-- The street the caller leads as street leader, or null.

CREATE OR REPLACE FUNCTION minqing.my_managed_community()
 RETURNS integer
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$ select community_id from minqing.my_staff() where role = 'community_staff' $function$
;

CREATE OR REPLACE FUNCTION minqing.my_staff()
 RETURNS TABLE(staff_id integer, role staff_role, street_id integer, community_id integer)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  select s.id, s.role, s.street_id, s.community_id from public.staff s
  where s.user_id = auth.uid() and s.active
$function$
;

CREATE OR REPLACE FUNCTION minqing.my_street_id()
 RETURNS integer
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$ select street_id from minqing.my_staff() $function$
;

CREATE OR REPLACE FUNCTION minqing.patrol_days_of(as_of date, ids integer[])
 RETURNS TABLE(grid_id integer, days integer)
 LANGUAGE sql
 STABLE
AS $function$
  with g as materialized (
    select g.id, (public.policy_settings_at(g.community_id, as_of) ->> 'patrolMinMinutes')::int as min_minutes
    from public.grids g where ids is null or g.id = any(ids)
  ),
  d as (
    select pt.grid_id, public.china_date(pt.started_at) as day, sum(pt.ended_at - pt.started_at) as walked
    from public.patrols pt
    where pt.ended_at is not null and public.china_date(pt.started_at) <= as_of
      and (ids is null or pt.grid_id = any(ids))
    group by pt.grid_id, public.china_date(pt.started_at)
  )
  select d.grid_id, as_of - max(d.day)
  from d join g on g.id = d.grid_id
  where d.walked >= make_interval(mins => g.min_minutes)
  group by d.grid_id
$function$
;

CREATE OR REPLACE FUNCTION minqing.presenting()
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
begin
  return coalesce((select role = 'presenter' from minqing.my_staff()), false)
      or coalesce((auth.jwt() ->> 'presentation')::boolean, false);
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.purge_import_batches()
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare n integer;
begin
  delete from public.import_batches where committed_at is null and created_at < now() - interval '24 hours';
  get diagnostics n = row_count;
  update public.import_batches
  set rows = '[]'::jsonb, report = minqing.import_report_without_personal_data(kind, report)
  where committed_at is not null and rows <> '[]'::jsonb;
  return n;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.rederive_building_grids(p_area geometry)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare n integer;
begin
  with changed as (
    update public.buildings b
    set grid_id = public.grid_for_point(ST_PointOnSurface(b.footprint))
    where b.footprint && p_area
      and b.grid_id is distinct from public.grid_for_point(ST_PointOnSurface(b.footprint))
    returning 1
  )
  select count(*)::integer into n from changed;
  return n;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.report_grid_ids()
 RETURNS integer[]
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  select coalesce(array_agg(g.id), '{}')
  from public.grids g join public.communities c on c.id = g.community_id
  where nullif(current_setting('request.jwt.claims', true), '') is null
     or c.street_id = minqing.my_street_id()
$function$
;

CREATE OR REPLACE FUNCTION minqing.roster_email_status(p_emails text[], p_names text[])
 RETURNS TABLE(email text, status text)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
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
$function$
;

CREATE OR REPLACE FUNCTION minqing.scope_building_ids(p_full boolean)
 RETURNS SETOF integer
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  select b.id from public.buildings b
  where b.grid_id = any (case when p_full then minqing.full_grid_ids() else minqing.visible_grid_ids() end)
$function$
;

CREATE OR REPLACE FUNCTION minqing.scope_grid_ids()
 RETURNS integer[]
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
begin
  return (
  select coalesce(array_agg(distinct x.id), '{}')
  from (
    select g.id
    from minqing.my_staff() me
    join public.grids g on g.community_id = me.community_id
    where me.role = 'community_staff'
    union all
    select g.id
    from minqing.my_staff() me
    join public.staff_grids sg on sg.staff_id = me.staff_id
    join public.grids g on g.id = sg.grid_id
    where me.role in ('grid_leader', 'grid_member')
  ) x);
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.scope_household_ids(p_full boolean)
 RETURNS SETOF integer
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  select h.id from public.households h
  where h.building_id in (select minqing.scope_building_ids(p_full))
$function$
;

CREATE OR REPLACE FUNCTION minqing.seal_import_batch(p_id uuid, p_counts jsonb)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
begin
  update public.import_batches
  set committed = p_counts,
      rows = '[]'::jsonb,
      report = minqing.import_report_without_personal_data(kind, report)
  where id = p_id and owner_id = auth.uid() and committed_at is not null;
  if not found then
    raise exception 'import batch % is not a committed batch of the caller', p_id using errcode = '42501';
  end if;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.set_initial_password(p_staff_id integer, p_password_hash text)
 RETURNS uuid
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  target public.staff;
  uid uuid;
  created boolean := false;
begin
  target := minqing.managed_staff(p_staff_id, 'set the password of');
  if target.email is null then
    raise exception 'staff member % has no email to sign in with', p_staff_id using errcode = 'not_null_violation';
  end if;
  uid := target.user_id;
  if uid is null then
    uid := gen_random_uuid();
    update public.staff set user_id = uid where id = p_staff_id;
  end if;
  insert into minqing.local_accounts (user_id, email, password_hash, must_change_password, password_changed_at)
  values (uid, lower(target.email), p_password_hash, true, now())
  on conflict (user_id) do update
    set password_hash = excluded.password_hash, must_change_password = true,
        token_version = minqing.local_accounts.token_version + 1, password_changed_at = now()
  returning (xmax = 0) into created;
  insert into public.audit_log (user_id, staff_id, action, table_name, row_ids, street_id, community_id, new_values, reason)
  select auth.uid(), me.staff_id, 'update', 'local_accounts', array[p_staff_id], target.street_id, target.community_id,
         jsonb_build_object('must_change_password', true),
         case when created then 'account_created' else 'password_reset' end
  from (select (select staff_id from minqing.my_staff()) as staff_id) me;
  return uid;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.snapshots_on_boundary_history()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  d date;
begin
  if tg_op = 'INSERT' then select min(public.china_date(valid_from)) into d from new_rows;
  elsif tg_op = 'DELETE' then select min(public.china_date(valid_from)) into d from old_rows;
  elsif tg_table_name = 'building_grid_history' then
    -- Rows pair up by their key (building, valid_from); a row whose start itself moved does not
    -- pair, and counts from its start on both sides.
    select min(x) into d from (
      select case
          when n.grid_id is distinct from o.grid_id then public.china_date(n.valid_from)
          when n.valid_to is distinct from o.valid_to
            then public.china_date(least(coalesce(n.valid_to, 'infinity'), coalesce(o.valid_to, 'infinity')))
        end as x
      from new_rows n join old_rows o on o.building_id = n.building_id and o.valid_from = n.valid_from
      union all
      select public.china_date(n.valid_from) from new_rows n
      where not exists (select 1 from old_rows o where o.building_id = n.building_id and o.valid_from = n.valid_from)
      union all
      select public.china_date(o.valid_from) from old_rows o
      where not exists (select 1 from new_rows n where n.building_id = o.building_id and n.valid_from = o.valid_from)
    ) t;
  else
    select min(x) into d from (
      select case
          when (n.community_id, n.valid_from) is distinct from (o.community_id, o.valid_from)
            then public.china_date(least(n.valid_from, o.valid_from))
          when n.valid_to is distinct from o.valid_to
            then public.china_date(least(coalesce(n.valid_to, 'infinity'), coalesce(o.valid_to, 'infinity')))
        end as x
      from new_rows n join old_rows o on o.grid_id = n.grid_id and o.version = n.version
    ) t;
  end if;
  perform minqing.month_snapshots_invalidate(d);
  return null;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.snapshots_on_households()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  d date;
begin
  if tg_op = 'INSERT' then select min(moved_in) into d from new_rows;
  elsif tg_op = 'DELETE' then select min(moved_in) into d from old_rows;
  else
    select min(case
        when (n.building_id, n.categories, n.moved_in) is distinct from (o.building_id, o.categories, o.moved_in)
          then least(n.moved_in, o.moved_in)
        when n.moved_out is distinct from o.moved_out
          then least(coalesce(n.moved_out, 'infinity'), coalesce(o.moved_out, 'infinity'))
      end) into d
    from new_rows n join old_rows o on o.id = n.id;
  end if;
  perform minqing.month_snapshots_invalidate(d);
  return null;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.snapshots_on_issue_events()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  d date;
begin
  if tg_op = 'INSERT' then select min(public.china_date(at)) into d from new_rows where to_status = 'cancelled';
  else select min(public.china_date(at)) into d from old_rows where to_status = 'cancelled';
  end if;
  perform minqing.month_snapshots_invalidate(d);
  return null;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.snapshots_on_issues()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  d date;
begin
  if tg_op = 'INSERT' then select min(public.china_date(received_at)) into d from new_rows;
  elsif tg_op = 'DELETE' then select min(public.china_date(received_at)) into d from old_rows;
  else
    select min(case
        when (n.grid_id, n.received_at, n.due_at, n.evaluation, n.status = 'cancelled')
             is distinct from (o.grid_id, o.received_at, o.due_at, o.evaluation, o.status = 'cancelled')
          then least(public.china_date(n.received_at), public.china_date(o.received_at))
        when n.closed_at is distinct from o.closed_at
          then least(coalesce(public.china_date(n.closed_at), 'infinity'), coalesce(public.china_date(o.closed_at), 'infinity'))
      end) into d
    from new_rows n join old_rows o on o.id = n.id;
  end if;
  perform minqing.month_snapshots_invalidate(d);
  return null;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.snapshots_on_patrols()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  d date;
begin
  if tg_op = 'INSERT' then select min(public.china_date(started_at)) into d from new_rows;
  elsif tg_op = 'DELETE' then select min(public.china_date(started_at)) into d from old_rows;
  else
    select least(min(public.china_date(n.started_at)), min(public.china_date(o.started_at))) into d
    from new_rows n join old_rows o on o.id = n.id
    where (n.grid_id, n.started_at, n.ended_at) is distinct from (o.grid_id, o.started_at, o.ended_at);
  end if;
  perform minqing.month_snapshots_invalidate(d);
  return null;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.snapshots_on_places()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
begin
  -- Separate branches: a statement naming new_rows cannot even be planned in a DELETE trigger.
  if tg_table_name = 'grids' and tg_op = 'DELETE' then
    perform minqing.month_snapshots_invalidate('-infinity');
  elsif tg_table_name = 'grids' then
    if exists (select 1 from new_rows n join old_rows o on o.id = n.id where n.community_id <> o.community_id) then
      perform minqing.month_snapshots_invalidate('-infinity');
    end if;
  elsif exists (select 1 from new_rows n join old_rows o on o.id = n.id where n.street_id <> o.street_id) then
    perform minqing.month_snapshots_invalidate('-infinity');
  end if;
  return null;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.snapshots_on_policies()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  d date;
begin
  if tg_op = 'INSERT' then select min(valid_from) into d from new_rows;
  elsif tg_op = 'DELETE' then select min(valid_from) into d from old_rows;
  else
    select least(min(n.valid_from), min(o.valid_from)) into d
    from new_rows n join old_rows o on o.id = n.id
    where (n.community_id, n.street_id, n.valid_from, n.settings) is distinct from (o.community_id, o.street_id, o.valid_from, o.settings);
  end if;
  perform minqing.month_snapshots_invalidate(d);
  return null;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.snapshots_on_visits()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  d date;
begin
  if tg_op = 'INSERT' then select min(public.china_date(visited_at)) into d from new_rows;
  elsif tg_op = 'DELETE' then select min(public.china_date(visited_at)) into d from old_rows;
  else
    select least(min(public.china_date(n.visited_at)), min(public.china_date(o.visited_at))) into d
    from new_rows n join old_rows o on o.id = n.id
    where (n.household_id, n.visited_at, n.method, n.result) is distinct from (o.household_id, o.visited_at, o.method, o.result);
  end if;
  perform minqing.month_snapshots_invalidate(d);
  return null;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.stats_apply(p_households integer[], p_buildings integer[], p_grids integer[])
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  d date;
  hh integer[] := coalesce(p_households, '{}');
  bb integer[] := coalesce(p_buildings, '{}');
  gg integer[] := array(select x from unnest(coalesce(p_grids, '{}')) x where x is not null);
begin
  if cardinality(hh) = 0 and cardinality(bb) = 0 and cardinality(gg) = 0 then return; end if;
  update minqing.stats_state set version = version + 1 returning as_of into d;
  if d is null then return; end if;  -- never built: the first read builds from scratch

  bb := bb || array(select building_id from minqing.household_rollup where household_id = any(hh))
           || array(select id from public.buildings where grid_id = any(gg));
  gg := gg || array(select grid_id from minqing.household_rollup where household_id = any(hh) and grid_id is not null);
  delete from minqing.household_rollup where household_id = any(hh);
  execute 'insert into minqing.household_rollup select * from minqing.household_status_of($1, $2)' using d, hh;
  bb := bb || array(select building_id from minqing.household_rollup where household_id = any(hh));
  gg := gg || array(select grid_id from minqing.household_rollup where household_id = any(hh) and grid_id is not null)
           || array(select grid_id from minqing.building_rollup where building_id = any(bb) and grid_id is not null)
           || array(select grid_id from public.buildings where id = any(bb) and grid_id is not null);
  bb := array(select distinct x from unnest(bb) x where x is not null);
  gg := array(select distinct x from unnest(gg) x);

  delete from minqing.grid_rollup where grid_id = any(gg);
  execute 'insert into minqing.grid_rollup select * from minqing.grid_rows_of($1, $2)' using d, gg;
  delete from minqing.building_rollup where building_id = any(bb);
  execute 'insert into minqing.building_rollup select * from minqing.building_rows_of($1, $2)' using d, bb;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.stats_apply_household_changes(d date, before minqing.household_rollup[], after minqing.household_rollup[])
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
begin
  update minqing.household_rollup r
  set required_interval = n.required_interval, last_visit = n.last_visit, covered = n.covered,
      due_date = n.due_date, overdue = n.overdue
  from unnest(after) n
  where r.household_id = n.household_id;

  -- The policy once per community (a lookup per grid cost more than the rest of the update).
  with pol as materialized (
    select c.id as community_id, public.policy_settings_at(c.id, d) as s from public.communities c
    where c.id in (select x.community_id from public.grids x join unnest(after) n on n.grid_id = x.id)
    union all
    select null, public.policy_settings_at(null, d)
  ),
  delta as materialized (
    select n.grid_id, n.building_id, n.covered::int - o.covered::int as d_covered, n.overdue::int - o.overdue::int as d_overdue,
      (n.at_risk and n.overdue)::int - (o.at_risk and o.overdue)::int as d_at_risk_overdue, n.last_visit
    from unnest(before) o join unnest(after) n on n.household_id = o.household_id
  ),
  g as (
    select grid_id, sum(d_covered)::int as dc, sum(d_overdue)::int as dov, sum(d_at_risk_overdue)::int as dro, max(last_visit) as lv
    from delta where grid_id is not null group by grid_id
  ),
  nx as (
    select gr.grid_id, gr.households, gr.covered_households + g.dc as covered, gr.overdue_households + g.dov as overdue,
      gr.at_risk_households, gr.at_risk_overdue + g.dro as at_risk_overdue,
      -- days since the grid's latest visit: a new visit can only bring it nearer
      least(gr.days_since_last_visit, d - g.lv) as days_visit,
      gr.overdue_issues, gr.days_since_last_patrol, pol.s
    from minqing.grid_rollup gr
    join g on g.grid_id = gr.grid_id
    join public.grids x on x.id = gr.grid_id
    join pol on pol.community_id = x.community_id
  ),
  -- A data-modifying WITH runs whether or not it is read: the grids' rows, in the same statement.
  grids_done as (
    update minqing.grid_rollup gr
    set covered_households = nx.covered,
        coverage = case when nx.households > 0 then nx.covered::float8 / nx.households end,
        overdue_households = nx.overdue, at_risk_overdue = nx.at_risk_overdue, days_since_last_visit = nx.days_visit,
        attention = (a ->> 'total')::float8, attention_breakdown = a - 'total'
    from nx, lateral public.attention_points(nx.s, nx.households, nx.covered, nx.at_risk_households, nx.at_risk_overdue,
                                             nx.overdue_issues, nx.days_since_last_patrol) a
    where gr.grid_id = nx.grid_id
      -- A visit to a household already covered, in a grid already visited that day, changes no
      -- count: such rows are left as they are (most of a day's visits, and no row version written).
      and (gr.covered_households, gr.overdue_households, gr.at_risk_overdue, gr.days_since_last_visit)
          is distinct from (nx.covered, nx.overdue, nx.at_risk_overdue, nx.days_visit)
  ),
  b as (
    select building_id, sum(d_covered)::int as dc, sum(d_overdue)::int as dov, sum(d_at_risk_overdue)::int as dro, max(last_visit) as lv
    from delta group by building_id
  ),
  -- A building's policy is its grid's community's, or the street default without a grid (as
  -- building_rows_of: its grid at the rollups' date, which the row holds).
  bx as (
    select br.building_id, br.households, br.covered_households + b.dc as covered, br.overdue_households + b.dov as overdue,
      br.at_risk_households, br.at_risk_overdue + b.dro as at_risk_overdue,
      least(br.days_since_last_visit, d - b.lv) as days_visit,
      br.overdue_issues, br.days_since_last_patrol, pol.s
    from minqing.building_rollup br
    join b on b.building_id = br.building_id
    left join public.grids x on x.id = br.grid_id
    join pol on coalesce(pol.community_id, 0) = coalesce(x.community_id, 0)
  )
  update minqing.building_rollup br
  set covered_households = bx.covered,
      coverage = case when bx.households > 0 then bx.covered::float8 / bx.households end,
      overdue_households = bx.overdue, at_risk_overdue = bx.at_risk_overdue, days_since_last_visit = bx.days_visit,
      attention = (a ->> 'total')::float8, attention_breakdown = a - 'total'
  from bx, lateral public.attention_points(bx.s, bx.households, bx.covered, bx.at_risk_households, bx.at_risk_overdue,
                                           bx.overdue_issues, bx.days_since_last_patrol) a
  where br.building_id = bx.building_id
    and (br.covered_households, br.overdue_households, br.at_risk_overdue, br.days_since_last_visit)
        is distinct from (bx.covered, bx.overdue, bx.at_risk_overdue, bx.days_visit);
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.stats_apply_visit_dates(p_households integer[], p_days date[], p_methods text[], p_results text[])
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  d date;
  before minqing.household_rollup[];
  after minqing.household_rollup[];
begin
  if cardinality(p_households) = 0 then return; end if;
  -- The lock that serializes figure changes, as in stats_apply (see the rollups' header).
  update minqing.stats_state set version = version + 1 returning as_of into d;
  if d is null then return; end if;  -- never built: the first read builds from scratch

  -- The latest counting date per household, under its community's policy at d, as
  -- household_status_of's `lv` (a household without a row is not counted at d: nothing to do).
  with v as (
    select * from unnest(p_households, p_days, p_methods, p_results) as v(household_id, day, method, result)
    where v.day <= d
  ),
  hr as materialized (
    select r, x.community_id from minqing.household_rollup r left join public.grids x on x.id = r.grid_id
    where r.household_id in (select household_id from v)
  ),
  pol as materialized (
    select c.id as community_id, public.policy_settings_at(c.id, d) as s from public.communities c
    where c.id in (select community_id from hr)
    union all
    select null, public.policy_settings_at(null, d)
  ),
  q as (
    select (hr.r).household_id, max(v.day) as day
    from hr
    join pol on coalesce(pol.community_id, 0) = coalesce(hr.community_id, 0)
    join v on v.household_id = (hr.r).household_id
    where v.method in (select jsonb_array_elements_text(pol.s -> 'countedMethods'))
      and (v.result = 'met' or (pol.s ->> 'notHomeCounts')::boolean)
    group by (hr.r).household_id
  ),
  changed as (
    select hr.r as o, greatest((hr.r).last_visit, q.day) as lv
    from hr join q on q.household_id = (hr.r).household_id
    where (hr.r).last_visit is null or q.day > (hr.r).last_visit
  )
  select array_agg(o), array_agg(row(
      (o).household_id, (o).building_id, (o).grid_id, (o).required_interval, lv,
      coalesce(lv > d - (o).required_interval, false),
      lv + (o).required_interval,
      not coalesce(lv > d - (o).required_interval, false) and lv + (o).required_interval < d,
      (o).at_risk)::minqing.household_rollup)
  into before, after
  from changed;

  if before is null then return; end if;
  perform minqing.stats_apply_household_changes(d, before, after);
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.stats_drift()
 RETURNS TABLE(kind text, id integer, metric text, rollup_value jsonb, reference_value jsonb)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  with st as (select as_of from minqing.stats_state),
  rg as (select x.grid_id as id, to_jsonb(x) - 'grid_id' as j from minqing.grid_rollup x),
  fg as (select s.grid_id as id, to_jsonb(s) - 'grid_id' as j from st, public.grid_stats(st.as_of) s),
  rb as (select x.building_id as id, to_jsonb(x) - 'building_id' as j from minqing.building_rollup x),
  fb as (select s.building_id as id, to_jsonb(s) - 'building_id' as j from st, public.building_stats(st.as_of) s),
  pairs as (
    select 'grid' as kind, coalesce(rg.id, fg.id) as id, rg.j as r, fg.j as f from rg full join fg on fg.id = rg.id
    union all
    select 'building', coalesce(rb.id, fb.id), rb.j, fb.j from rb full join fb on fb.id = rb.id
  )
  select p.kind, p.id, k.key, p.r -> k.key, p.f -> k.key
  from pairs p
  cross join lateral jsonb_object_keys(coalesce(p.f, p.r)) as k(key)
  where (p.r -> k.key) is distinct from (p.f -> k.key)
  order by 1, 2, 3
$function$
;

CREATE OR REPLACE FUNCTION minqing.stats_on_buildings()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  bb integer[];
begin
  -- Until the first read builds the rollups (seeding, bulk loads) a change only bumps the version.
  if minqing.stats_unbuilt() then return null; end if;
  if tg_op = 'INSERT' then bb := array(select id from new_rows);
  elsif tg_op = 'UPDATE' then
    bb := array(select n.id from new_rows n join old_rows o on o.id = n.id where n.grid_id is distinct from o.grid_id);
  else bb := array(select id from old_rows);
  end if;
  perform minqing.stats_apply(array(select h.id from public.households h where h.building_id = any(bb)), bb, null);
  return null;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.stats_on_grids()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  gg integer[];
  moved integer[] := '{}';
begin
  -- Until the first read builds the rollups (seeding, bulk loads) a change only bumps the version.
  if minqing.stats_unbuilt() then return null; end if;
  if tg_op = 'INSERT' then gg := array(select id from new_rows);
  elsif tg_op = 'UPDATE' then
    gg := array(select id from new_rows);
    moved := array(select n.id from new_rows n join old_rows o on o.id = n.id where n.community_id <> o.community_id);
  else gg := array(select id from old_rows);
  end if;
  perform minqing.stats_apply(
    array(select h.id from public.households h join public.buildings b on b.id = h.building_id where b.grid_id = any(moved)),
    null, gg);
  return null;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.stats_on_households()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  hh integer[];
begin
  -- Until the first read builds the rollups (seeding, bulk loads) a change only bumps the version.
  if minqing.stats_unbuilt() then return null; end if;
  if tg_op = 'INSERT' then hh := array(select id from new_rows);
  elsif tg_op = 'UPDATE' then hh := array(select id from new_rows union select id from old_rows);
  else hh := array(select id from old_rows);
  end if;
  perform minqing.stats_apply(hh, null, null);
  return null;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.stats_on_issue_events()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  ev integer[];
begin
  -- Until the first read builds the rollups (seeding, bulk loads) a change only bumps the version.
  if minqing.stats_unbuilt() then return null; end if;
  if tg_op = 'INSERT' then ev := array(select issue_id from new_rows);
  else ev := array(select issue_id from old_rows);
  end if;
  perform minqing.stats_apply(null,
    array(select i.building_id from public.issues i where i.id = any(ev) and i.building_id is not null), null);
  perform minqing.stats_refresh_grids(array(select i.grid_id from public.issues i where i.id = any(ev)));
  return null;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.stats_on_issues()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  gg integer[];
  bb integer[];
begin
  -- Until the first read builds the rollups (seeding, bulk loads) a change only bumps the version.
  if minqing.stats_unbuilt() then return null; end if;
  if tg_op = 'INSERT' then
    gg := array(select grid_id from new_rows); bb := array(select building_id from new_rows where building_id is not null);
  elsif tg_op = 'UPDATE' then
    gg := array(select grid_id from new_rows union select grid_id from old_rows);
    bb := array(select building_id from new_rows where building_id is not null
                union select building_id from old_rows where building_id is not null);
  else
    gg := array(select grid_id from old_rows); bb := array(select building_id from old_rows where building_id is not null);
  end if;
  -- Only the issue counts changed: grid rows and the issues' buildings, not every building of
  -- the grid (p_grids would recompute those), so the grids go in as derived from buildings.
  perform minqing.stats_apply(null, bb, null);
  perform minqing.stats_refresh_grids(gg);
  return null;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.stats_on_patrols()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  gg integer[];
begin
  -- Until the first read builds the rollups (seeding, bulk loads) a change only bumps the version.
  if minqing.stats_unbuilt() then return null; end if;
  if tg_op = 'INSERT' then gg := array(select grid_id from new_rows);
  elsif tg_op = 'UPDATE' then gg := array(select grid_id from new_rows union select grid_id from old_rows);
  else gg := array(select grid_id from old_rows);
  end if;
  perform minqing.stats_apply(null, null, gg);
  return null;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.stats_on_policies()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  d date;
begin
  if tg_table_name = 'communities' then
    if not exists (select 1 from new_rows n join old_rows o on o.id = n.id where n.street_id <> o.street_id) then
      return null;
    end if;
  end if;
  select as_of into d from minqing.stats_state;
  if d is null then
    update minqing.stats_state set version = version + 1;
  else
    perform minqing.stats_rebuild(d);
  end if;
  return null;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.stats_on_visits()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  hh integer[];
begin
  -- Until the first read builds the rollups (seeding, bulk loads) a change only bumps the version.
  if minqing.stats_unbuilt() then return null; end if;
  -- plpgsql plans a statement on first execution, so a branch may name a transition table
  -- that only its own event has.
  if tg_op = 'INSERT' then
    perform minqing.stats_apply_visit_dates(
      array(select household_id from new_rows order by id), array(select public.china_date(visited_at) from new_rows order by id),
      array(select method::text from new_rows order by id), array(select result::text from new_rows order by id));
    return null;
  elsif tg_op = 'UPDATE' then hh := array(select household_id from new_rows union select household_id from old_rows);
  else hh := array(select household_id from old_rows);
  end if;
  perform minqing.stats_apply(hh, null, null);
  return null;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.stats_rebuild(p_as_of date)
 RETURNS bigint
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  v bigint;
begin
  update minqing.stats_state set version = version + 1 returning version into v;  -- the lock
  delete from minqing.building_rollup;
  delete from minqing.grid_rollup;
  delete from minqing.household_rollup;
  insert into minqing.household_rollup select * from minqing.household_status_of(p_as_of, null);
  insert into minqing.grid_rollup select * from minqing.grid_rows_of(p_as_of, null);
  insert into minqing.building_rollup select * from minqing.building_rows_of(p_as_of, null);
  update minqing.stats_state set as_of = p_as_of, built_at = now();
  return v;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.stats_refresh_grids(p_grids integer[])
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  d date;
  gg integer[] := array(select distinct x from unnest(coalesce(p_grids, '{}')) x where x is not null);
begin
  if cardinality(gg) = 0 then return; end if;
  update minqing.stats_state set version = version + 1 returning as_of into d;
  if d is null then return; end if;
  delete from minqing.grid_rollup where grid_id = any(gg);
  execute 'insert into minqing.grid_rollup select * from minqing.grid_rows_of($1, $2)' using d, gg;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.stats_unbuilt()
 RETURNS boolean
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
begin
  update minqing.stats_state set version = version + 1 where as_of is null;
  return found;
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.street_boundary_from_communities()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
begin
  update public.streets s
  set boundary = (select ST_Multi(ST_CollectionExtract(ST_UnaryUnion(ST_Collect(c.boundary)), 3))
                  from public.communities c where c.street_id = s.id and c.boundary is not null),
      boundary_from_communities = true
  where (s.boundary is null or s.boundary_from_communities)
    and s.id in (select street_id from changed_rows);
  return null;
end
$function$
;
-- Trigger: a street without a boundary of its own takes the union of its communities'.

CREATE OR REPLACE FUNCTION minqing.taken_community_codes(p_codes text[])
 RETURNS SETOF text
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$ select code from public.communities where code = any (p_codes) $function$
;
-- Which of the given community codes are in use anywhere on the server.

CREATE OR REPLACE FUNCTION minqing.taken_grid_codes(p_codes text[])
 RETURNS SETOF text
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$ select code from public.grids where code = any (p_codes) $function$
;

CREATE OR REPLACE FUNCTION minqing.taken_issue_reg_nos(p_reg_nos text[])
 RETURNS SETOF text
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$ select reg_no from public.issues where reg_no = any (p_reg_nos) $function$
;
-- Which of these registration numbers are in use anywhere on the server (a ledger import keeps only free ones).

CREATE OR REPLACE FUNCTION minqing.tile_building_ids(p_box geometry)
 RETURNS SETOF integer
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  select b.id
  from public.buildings b
  where b.footprint && p_box
    and (
      nullif(current_setting('request.jwt.claims', true), '') is null
      or exists (select 1 from public.grids g join public.communities c on c.id = g.community_id
                 where g.id = b.grid_id and c.street_id = (select minqing.my_street_id()))
      or (b.grid_id is null and exists (select 1 from minqing.my_staff() me where me.role = 'street_leader'))
    )
$function$
;

CREATE OR REPLACE FUNCTION minqing.visible_grid_ids()
 RETURNS integer[]
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
begin
  return (
  select case
    when me.role = 'street_leader' then (
      select coalesce(array_agg(g.id), '{}') from public.grids g
      join public.communities c on c.id = g.community_id where c.street_id = me.street_id)
    else minqing.scope_grid_ids()
  end
  from minqing.my_staff() me
  union all select '{}'::integer[]
  limit 1);
end
$function$
;

CREATE OR REPLACE FUNCTION minqing.visit_timeliness(p_from date, p_to date, p_grid_ids integer[])
 RETURNS TABLE(grid_id integer, due integer, done integer, on_time integer)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  ids integer[];  -- null: every household
begin
  if p_grid_ids is not null then
    select coalesce(array_agg(x), '{}') into ids
    from unnest(p_grid_ids) g, unnest(minqing.grid_household_ids(g, p_from - 1)) x;
  end if;
  return query
    -- The month-end policy's counted methods and results, once per grid (not per row).
    with pol as (
      select g.id as grid_id, p.s -> 'countedMethods' as methods, (p.s ->> 'notHomeCounts')::boolean as not_home_counts
      from public.grids g cross join lateral (select public.policy_settings_at(g.community_id, p_to) as s) p
      where g.id = any (minqing.report_grid_ids()) and (p_grid_ids is null or g.id = any (p_grid_ids))
    ),
    st as (
      select s.household_id, s.grid_id, s.due_date, pol.methods, pol.not_home_counts
      from minqing.household_status_of(p_from - 1, ids) s
      join pol on pol.grid_id = s.grid_id
      join public.households h on h.id = s.household_id
      where s.due_date between p_from and p_to
        and (h.moved_out is null or h.moved_out > s.due_date)
    )
    -- One index probe per household (visits_household_visited_at_idx) for its first counted
    -- visit of the period: a join then aggregate misjudges the sizes and loops over every pair.
    select st.grid_id, count(*)::int, count(v.first_visit)::int,
      count(*) filter (where v.first_visit <= st.due_date)::int
    from st
    left join lateral (
      select min(public.china_date(x.visited_at)) as first_visit
      from public.visits x
      where x.household_id = st.household_id
        and x.visited_at >= (p_from::timestamp - interval '8 hours') at time zone 'UTC'
        and x.visited_at < ((p_to + 1)::timestamp - interval '8 hours') at time zone 'UTC'
        and st.methods ? x.method::text
        and (x.result = 'met' or st.not_home_counts)
    ) v on true
    group by st.grid_id;
end
$function$
;

CREATE OR REPLACE FUNCTION public.attention_points(s jsonb, households integer, covered integer, at_risk integer, at_risk_overdue integer, overdue_issues integer, days_since_last_patrol integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
declare
  coverage_gap float8 := (s #>> '{attention,weights,coverageGap}')::float8 * 100
    * case when households > 0 then 1 - covered::float8 / households else 0 end;
  risk float8 := (s #>> '{attention,weights,atRiskOverdue}')::float8 * 100
    * case when at_risk > 0 then at_risk_overdue::float8 / at_risk else 0 end;
  issues float8 := (s #>> '{attention,weights,overdueIssues}')::float8 * 100
    * case when households > 0
           then least(1, (overdue_issues * 100.0 / households) / (s #>> '{attention,overdueIssuesPer100Cap}')::float8)
           else 0 end;
  patrol float8 := (s #>> '{attention,weights,patrolGap}')::float8 * 100
    * case when days_since_last_patrol is null then 1
           else least(1, days_since_last_patrol::float8 / (s #>> '{attention,patrolGapDaysCap}')::float8) end;
begin
  return jsonb_build_object(
    'total', public.round1(coverage_gap + risk + issues + patrol),
    'coverageGap', public.round1(coverage_gap),
    'atRiskOverdue', public.round1(risk),
    'overdueIssues', public.round1(issues),
    'patrolGap', public.round1(patrol));
end
$function$
;
-- The attention score and its breakdown in points, from a grid's or building's counts under a policy.

CREATE OR REPLACE FUNCTION public.audit_log_is_append_only()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
begin
  raise exception 'the audit log is append-only: % is not allowed', tg_op
    using errcode = 'insufficient_privilege';
end
$function$
;
-- Trigger that refuses update, delete and truncate of the audit log.

CREATE OR REPLACE FUNCTION public.building_grids_at(as_of date)
 RETURNS TABLE(building_id integer, grid_id integer)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  select h.building_id, h.grid_id from public.building_grid_history h
  where h.valid_from < public.china_day_end(as_of)
    and (h.valid_to is null or h.valid_to >= public.china_day_end(as_of))
$function$
;
-- Each building's grid at the end of a China day.

CREATE OR REPLACE FUNCTION public.building_household_counts(as_of date DEFAULT CURRENT_DATE)
 RETURNS TABLE(building_id integer, households integer)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  select h.building_id, count(*)::integer
  from public.households h
  where h.moved_in <= as_of and (h.moved_out is null or h.moved_out > as_of)
  group by h.building_id
$function$
;
-- Per building, the households current at a date.

CREATE OR REPLACE FUNCTION public.building_stats(as_of date)
 RETURNS TABLE(building_id integer, grid_id integer, households integer, covered_households integer, coverage double precision, overdue_households integer, at_risk_households integer, at_risk_overdue integer, open_issues integer, overdue_issues integer, days_since_last_visit integer, days_since_last_patrol integer, attention double precision, attention_breakdown jsonb)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
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
    select b.id, bg.grid_id,
      public.policy_settings_at((select g.community_id from public.grids g where g.id = bg.grid_id), as_of) as s,
      coalesce(h.n, 0) as n, coalesce(h.covered, 0) as covered, coalesce(h.overdue, 0) as overdue,
      coalesce(h.at_risk, 0) as at_risk, coalesce(h.at_risk_overdue, 0) as at_risk_overdue,
      coalesce(i.open, 0) as open_issues, coalesce(i.overdue, 0) as overdue_issues,
      as_of - h.last_visit as days_visit, gp.days_since_last_patrol as days_patrol
    from public.buildings b
    left join public.building_grids_at(as_of) bg on bg.building_id = b.id
    left join h on h.building_id = b.id left join i on i.building_id = b.id left join gp on gp.grid_id = bg.grid_id
  )
  select r.id, r.grid_id, r.n, r.covered, case when r.n > 0 then r.covered::float8 / r.n end,
    r.overdue, r.at_risk, r.at_risk_overdue, r.open_issues, r.overdue_issues, r.days_visit, r.days_patrol,
    (a ->> 'total')::float8, a - 'total'
  from r, lateral public.attention_points(r.s, r.n, r.covered, r.at_risk, r.at_risk_overdue, r.overdue_issues, r.days_patrol) a
  order by r.id
$function$
;
-- The map's figures for every building at a date: the reference definition.

CREATE OR REPLACE FUNCTION public.building_stats_rollup()
 RETURNS SETOF minqing.building_rollup
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$ select * from minqing.building_rollup order by building_id $function$
;
-- The building rollup: building_stats rows at the rollups' date.

CREATE OR REPLACE FUNCTION public.building_workload(as_of date)
 RETURNS TABLE(building_id integer, households integer, visits_per_month double precision)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  -- One row per community, and one for buildings in no grid (the street-wide policy), exactly
  -- what policy_settings_at(g.community_id, as_of) gave per household.
  with pol as (
    select c.id as community_id, public.policy_settings_at(c.id, as_of) as s from public.communities c
    union all
    select null, public.policy_settings_at(null, as_of)
  )
  select h.building_id, count(*)::integer,
    sum(30.44 / (select min((pol.s -> 'intervals' ->> c::text)::int) from unnest(h.categories) c))
  from public.households h
  join public.buildings b on b.id = h.building_id
  left join public.grids g on g.id = b.grid_id
  join pol on coalesce(pol.community_id, 0) = coalesce(g.community_id, 0)
  where h.moved_in <= as_of and (h.moved_out is null or h.moved_out > as_of)
  group by h.building_id
$function$
;
-- Per building, its households and the visits they require per month, for the boundary preview.

CREATE OR REPLACE FUNCTION public.buildings_assign_grid()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'public', 'extensions'
AS $function$
begin
  new.grid_id := public.grid_for_point(ST_PointOnSurface(new.footprint));
  return new;
end
$function$
;
-- Trigger that derives a building's grid from its footprint.

CREATE OR REPLACE FUNCTION public.china_date(t timestamp with time zone)
 RETURNS date
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select ((t at time zone 'UTC') + interval '8 hours')::date
$function$
;
-- The China (UTC+8) date of an instant.

CREATE OR REPLACE FUNCTION public.china_day_end(d date)
 RETURNS timestamp with time zone
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$ select ((d + 1)::timestamp - interval '8 hours') at time zone 'UTC' $function$
;
-- The instant China date D ends; "as of D" means in force just before it.

CREATE OR REPLACE FUNCTION public.commit_grid_boundaries(p_changes jsonb, p_kind text, p_reason text, p_proposal_id integer DEFAULT NULL::integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  me record;
  c jsonb;
  g record;
  gid integer;
  geom geometry;
  touched integer[] := '{}';
  created integer[] := '{}';
  area geometry := null;
  result_grids jsonb := '[]';
  moved jsonb;
begin
  select * into me from minqing.my_staff();
  if me.staff_id is null then
    raise exception 'only staff of a street redraw grids' using errcode = 'insufficient_privilege';
  end if;
  if p_kind not in ('redrawn', 'split', 'merged', 'reverted') then
    raise exception 'unknown change kind %', p_kind using errcode = 'invalid_parameter_value';
  end if;
  if p_reason is null or char_length(btrim(p_reason)) < 2 then
    raise exception 'a boundary change needs a reason' using errcode = 'invalid_parameter_value';
  end if;
  perform set_config('minqing.boundary_commit', 'on', true);

  for c in select * from jsonb_array_elements(p_changes) loop
    if c ? 'create' then
      -- The new grid of a split: same community as the grid it came from.
      select * into g from public.grids where id = (c ->> 'from')::integer;
      if g.id is null or minqing.boundary_editor_role(g.id) is null then
        raise exception 'you may not split grid %', c ->> 'from' using errcode = 'insufficient_privilege';
      end if;
      geom := ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(c ->> 'geometry'), 4326));
      insert into public.grids (community_id, code, name, boundary)
      values (g.community_id, c -> 'create' ->> 'code', c -> 'create' ->> 'name', geom)
      returning id into gid;
      insert into public.grid_versions (grid_id, version, community_id, code, name, boundary, valid_from, kind,
                                        staff_id, user_id, reason, related_grid_ids, proposal_id)
      values (gid, 1, g.community_id, c -> 'create' ->> 'code', c -> 'create' ->> 'name', geom, now(), p_kind,
              me.staff_id, auth.uid(), btrim(p_reason), array[g.id], p_proposal_id);
      touched := touched || gid;
      created := created || gid;
      area := case when area is null then geom else ST_Collect(area, geom) end;
      result_grids := result_grids || jsonb_build_object('gridId', gid, 'version', 1, 'created', true);
      continue;
    end if;

    gid := (c ->> 'gridId')::integer;
    select * into g from public.grids where id = gid for update;
    if g.id is null then
      raise exception 'no grid %', gid using errcode = 'no_data_found';
    end if;
    if minqing.boundary_editor_role(gid) is null then
      raise exception 'you may not redraw grid %', gid using errcode = 'insufficient_privilege';
    end if;
    if g.retired_at is not null then
      raise exception 'grid % was retired on %', gid, g.retired_at using errcode = 'object_not_in_prerequisite_state';
    end if;
    if g.version <> (c ->> 'version')::integer then
      raise exception 'grid % is at version %, not %', gid, g.version, c ->> 'version' using errcode = 'serialization_failure';
    end if;
    area := case when area is null then g.boundary else ST_Collect(area, g.boundary) end;
    update public.grid_versions set valid_to = now() where grid_id = gid and valid_to is null;

    if c ? 'retireInto' then
      update public.grids set retired_at = now(), retired_into = (c ->> 'retireInto')::integer, updated_at = now()
      where id = gid;
    else
      geom := ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(c ->> 'geometry'), 4326));
      if not ST_IsValid(geom) or ST_IsEmpty(geom) then
        raise exception 'the new boundary of grid % is not a valid polygon: %', gid, ST_IsValidReason(geom)
          using errcode = 'invalid_parameter_value';
      end if;
      update public.grids set boundary = geom, version = g.version + 1, name = coalesce(nullif(btrim(c ->> 'name'), ''), g.name),
        updated_at = now()
      where id = gid;
      insert into public.grid_versions (grid_id, version, community_id, code, name, boundary, valid_from, kind,
                                        staff_id, user_id, reason, related_grid_ids, reverted_to, proposal_id)
      values (gid, g.version + 1, g.community_id, g.code, coalesce(nullif(btrim(c ->> 'name'), ''), g.name), geom, now(), p_kind,
              me.staff_id, auth.uid(), btrim(p_reason),
              -- A split lists the new grid (created earlier in this call) as related.
              coalesce(array(select jsonb_array_elements_text(c -> 'relatedGridIds')::integer), '{}') || created,
              (c ->> 'revertedTo')::integer, p_proposal_id);
      area := case when area is null then geom else ST_Collect(area, geom) end;
      result_grids := result_grids || jsonb_build_object('gridId', gid, 'version', g.version + 1);
    end if;
    touched := touched || gid;
  end loop;

  -- Buildings whose point on surface now lies in another grid (the rule of places.sql). The
  -- triggers write building_grid_history and the audit log for each.
  with changed as (
    select b.id, b.grid_id as before, public.grid_for_point(ST_PointOnSurface(b.footprint)) as after
    from public.buildings b
    where b.footprint && area or b.grid_id = any (touched)
  ),
  upd as (
    update public.buildings b set grid_id = changed.after
    from changed where b.id = changed.id and changed.after is distinct from changed.before
    returning b.id, changed.before, changed.after
  )
  select coalesce(jsonb_agg(jsonb_build_object('buildingId', id, 'from', before, 'to', after) order by id), '[]')
  into moved from upd;

  -- Households then, for the versions just written.
  update public.grid_versions v set households = coalesce((
      select sum(c.households)::integer from public.building_household_counts(public.china_date(now())) c
      join public.buildings b on b.id = c.building_id where b.grid_id = v.grid_id), 0)
  where v.grid_id = any (touched) and v.valid_to is null and v.valid_from = now();

  -- Open maps refresh: the grids redrawn and those that gained or lost buildings.
  perform pg_notify('minqing_changes', json_build_object('table', 'grids', 'gridId', x.id)::text)
  from (select unnest(touched) as id
        union select (m ->> 'from')::integer from jsonb_array_elements(moved) m where m ->> 'from' is not null
        union select (m ->> 'to')::integer from jsonb_array_elements(moved) m where m ->> 'to' is not null) x;

  return jsonb_build_object('grids', result_grids, 'moved', moved);
end
$function$
;
-- Applies a redraw, split, merge or revert and moves the buildings it affects.

CREATE OR REPLACE FUNCTION public.create_street(p_name text, p_code text, p_leader_name text, p_leader_email text, p_password_hash text)
 RETURNS TABLE(street_id integer, staff_id integer, user_id uuid)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
begin
  if not minqing.is_installation_admin() then
    raise exception 'only an installation administrator creates streets' using errcode = 'insufficient_privilege';
  end if;
  return query select * from minqing.create_street_with_leader(p_name, p_code, p_leader_name, p_leader_email, p_password_hash, true);
end
$function$
;
-- An installation administrator creates a street and its first street leader (one-time password).

CREATE OR REPLACE FUNCTION public.current_staff_role_and_community()
 RETURNS TABLE(staff_id integer, role staff_role, community_id integer)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  select s.id, s.role, s.community_id from public.staff s
  where s.user_id = auth.uid() and s.active
$function$
;
-- The signed-in user's own staff id, role and community.

CREATE OR REPLACE FUNCTION public.decide_boundary_proposal(p_id integer, p_status text, p_note text, p_committed_version integer)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  me record;
  p record;
begin
  select * into me from minqing.my_staff();
  select * into p from public.boundary_proposals where id = p_id for update;
  if p.id is null then
    raise exception 'no boundary proposal %', p_id using errcode = 'no_data_found';
  end if;
  if minqing.presenting() or me.role is distinct from 'community_staff' or me.community_id is distinct from p.community_id then
    raise exception 'boundary proposals are decided by the staff of their community' using errcode = 'insufficient_privilege';
  end if;
  if p.status <> 'pending' then
    raise exception 'boundary proposal % was already %', p_id, p.status using errcode = 'object_not_in_prerequisite_state';
  end if;
  if p_status not in ('approved', 'rejected') then
    raise exception 'a proposal is approved or rejected, not %', p_status using errcode = 'invalid_parameter_value';
  end if;
  update public.boundary_proposals
  set status = p_status, decided_by = me.staff_id, decided_at = now(), note = nullif(btrim(coalesce(p_note, '')), ''),
      committed_version = p_committed_version
  where id = p_id;
  perform pg_notify('minqing_changes', json_build_object('table', 'boundary_proposals', 'gridId', x)::text)
  from unnest(p.affected_grid_ids) x;
end
$function$
;
-- Approves or rejects a pending boundary proposal.

CREATE OR REPLACE FUNCTION public.default_policy_settings()
 RETURNS jsonb
 LANGUAGE sql
 IMMUTABLE
AS $function$
  select '{"intervals":{"ordinary":182,"elderly":30,"empty_nest":15,"lonely_elderly":15,"low_income":15,"disabled":15,"seriously_ill":7,"difficult":30,"floating":30,"rental":30,"community_correction":30,"key_person":7,"petitioner":90,"unemployed":30,"military_family":90,"business":45},"atRisk":["empty_nest","lonely_elderly","low_income","disabled","seriously_ill","difficult","community_correction","key_person"],"countedMethods":["in_person","phone","video"],"notHomeCounts":false,"issueDueDays":{"ordinary":7,"complex":15,"major":30},"attention":{"weights":{"coverageGap":0.4,"atRiskOverdue":0.3,"overdueIssues":0.15,"patrolGap":0.15},"overdueIssuesPer100Cap":2,"patrolGapDaysCap":14},"patrolMinMinutes":30,"gridHouseholds":{"min":200,"max":300},"visitGeofenceM":50}'::jsonb
$function$
;
-- The visit policy used when a street has none; equal to DEFAULT_POLICY in geo/domain/visit-policy.ts.

CREATE OR REPLACE FUNCTION public.geometry_version()
 RETURNS bigint
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$ select version from minqing.geometry_state $function$
;
-- A number that changes whenever grid or building shapes change; tile URLs carry it.

CREATE OR REPLACE FUNCTION public.grid_days_since_patrol(as_of date)
 RETURNS TABLE(grid_id integer, days integer)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  -- The minimum once per grid; a lateral lookup here ran once per grid and patrol day.
  with m as materialized (
    select g.id, (public.policy_settings_at(g.community_id, as_of) ->> 'patrolMinMinutes')::int as min_minutes
    from public.grids g
  )
  select d.grid_id, as_of - max(d.day)
  from (
    select pt.grid_id, public.china_date(pt.started_at) as day, sum(pt.ended_at - pt.started_at) as walked
    from public.patrols pt
    where pt.ended_at is not null and public.china_date(pt.started_at) <= as_of
    group by pt.grid_id, public.china_date(pt.started_at)
  ) d
  join m on m.id = d.grid_id
  where d.walked >= make_interval(mins => m.min_minutes)
  group by d.grid_id
$function$
;
-- Per grid, the days from its last counting patrol day to a date.

CREATE OR REPLACE FUNCTION public.grid_for_point(p geometry)
 RETURNS integer
 LANGUAGE sql
 STABLE
 SET search_path TO 'public', 'extensions'
AS $function$
  select g.id from public.grids g where g.retired_at is null and ST_Covers(g.boundary, p) order by g.id limit 1
$function$
;
-- The live grid that covers a point (lowest id on a shared edge).

CREATE OR REPLACE FUNCTION public.grid_household_count(p_grid_id integer, as_of date)
 RETURNS integer
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  select count(*)::integer
  from public.building_grid_history bg
  join public.households h on h.building_id = bg.building_id
  where bg.grid_id = p_grid_id
    and bg.valid_from < public.china_day_end(as_of) and (bg.valid_to is null or bg.valid_to >= public.china_day_end(as_of))
    and h.moved_in <= as_of and (h.moved_out is null or h.moved_out > as_of)
$function$
;
-- The households living in a grid at a date.

CREATE OR REPLACE FUNCTION public.grid_household_counts(as_of date DEFAULT CURRENT_DATE)
 RETURNS TABLE(grid_id integer, households integer)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  select bg.grid_id, sum(c.households)::integer
  from public.building_household_counts(as_of) c
  join public.building_grids_at(as_of) bg on bg.building_id = c.building_id
  where bg.grid_id is not null
  group by bg.grid_id
$function$
;
-- Per grid, the households current at a date.

CREATE OR REPLACE FUNCTION public.grid_overdue_households(p_grid_id integer, as_of date)
 RETURNS TABLE(household_id integer, building_id integer, address text, unit text, room text, categories household_category[], at_risk boolean, last_visit date, due_date date, days_overdue integer)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  ids integer[];
begin
  -- Server tasks run with no request claims; every API and PostgREST call has them.
  if nullif(current_setting('request.jwt.claims', true), '') is not null and minqing.grid_access(p_grid_id) = 'none' then
    return;
  end if;
  ids := minqing.grid_household_ids(p_grid_id, as_of);
  return query
    select s.household_id, s.building_id, b.address, h.unit, h.room, h.categories, s.at_risk,
      s.last_visit, s.due_date, as_of - s.due_date
    from minqing.household_status_of(as_of, ids) s
    join public.households h on h.id = s.household_id
    join public.buildings b on b.id = s.building_id
    where s.grid_id = p_grid_id and s.overdue
    order by s.at_risk desc, s.due_date, s.household_id;
end
$function$
;
-- A grid's mop-up list: its overdue households at a date by address, at-risk first.

CREATE OR REPLACE FUNCTION public.grid_stats(as_of date)
 RETURNS TABLE(grid_id integer, households integer, covered_households integer, coverage double precision, overdue_households integer, at_risk_households integer, at_risk_overdue integer, open_issues integer, overdue_issues integer, days_since_last_visit integer, days_since_last_patrol integer, attention double precision, attention_breakdown jsonb)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
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
  g as (
    select g.id, public.policy_settings_at(g.community_id, as_of) as s
    from public.grids g where g.id in (select v.grid_id from public.grid_versions_at(as_of) v)
  ),
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
$function$
;
-- The map's figures for every grid at a date: the reference definition.

CREATE OR REPLACE FUNCTION public.grid_stats_rollup()
 RETURNS SETOF minqing.grid_rollup
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$ select * from minqing.grid_rollup order by grid_id $function$
;
-- The grid rollup: grid_stats rows at the rollups' date.

CREATE OR REPLACE FUNCTION public.grid_versions_at(as_of date)
 RETURNS TABLE(grid_id integer, version integer, community_id integer, code text, name text, boundary geometry)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  select v.grid_id, v.version, v.community_id, v.code, v.name, v.boundary from public.grid_versions v
  where v.valid_from < public.china_day_end(as_of)
    and (v.valid_to is null or v.valid_to >= public.china_day_end(as_of))
$function$
;
-- The version of each grid in force at the end of a China day.

CREATE OR REPLACE FUNCTION public.grid_visit_counts(p_grid_id integer, as_of date)
 RETURNS TABLE(households integer, covered_households integer)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  ids integer[] := minqing.grid_household_ids(p_grid_id, as_of);
begin
  return query
    select count(*)::int, count(*) filter (where s.covered)::int
    from minqing.household_status_of(as_of, ids) s
    where s.grid_id = p_grid_id;
end
$function$
;
-- One grid's households and covered households at a date.

CREATE OR REPLACE FUNCTION public.grid_visit_timeliness(p_grid_id integer, p_from date, p_to date)
 RETURNS TABLE(grid_id integer, due integer, done integer, on_time integer)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$ select * from minqing.visit_timeliness(p_from, p_to, array[p_grid_id]) $function$
;
-- One grid's 按期走访率 counts for a period: due, done, on time.

CREATE OR REPLACE FUNCTION public.household_category_changes(p_household_id integer)
 RETURNS TABLE(at timestamp with time zone, staff_id integer, staff_name text, old_categories text[], new_categories text[])
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  select a.at, a.staff_id, public.staff_display_name(a.staff_id),
    array(select jsonb_array_elements_text(a.old_values -> 'categories')),
    array(select jsonb_array_elements_text(a.new_values -> 'categories'))
  from public.audit_log a
  where a.table_name = 'households' and a.action = 'update' and p_household_id = any (a.row_ids)
    and a.old_values -> 'categories' is distinct from a.new_values -> 'categories'
    and minqing.grid_access(minqing.grid_of_household(p_household_id)) <> 'none'
  order by a.at desc, a.id desc
$function$
;
-- When and by whom a household's categories changed, from the audit log.

CREATE OR REPLACE FUNCTION public.household_visit_status(as_of date)
 RETURNS TABLE(household_id integer, building_id integer, grid_id integer, required_interval integer, last_visit date, covered boolean, due_date date, overdue boolean, at_risk boolean)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  with pol as (
    select c.id as community_id, public.policy_settings_at(c.id, as_of) as s from public.communities c
    union all
    select null, public.policy_settings_at(null, as_of)
  ),
  -- What counts, once per community (0: buildings in no grid), in plain columns for the visits.
  rule as (
    select coalesce(community_id, 0) as k, s,
      array(select jsonb_array_elements_text(s -> 'countedMethods')) as methods,
      (s ->> 'notHomeCounts')::boolean as not_home
    from pol
  ),
  hh as (
    select h.id, h.building_id, bg.grid_id, h.moved_in, rule.k,
      (select min((rule.s -> 'intervals' ->> c::text)::int) from unnest(h.categories) c) as required_interval,
      h.categories && array(select jsonb_array_elements_text(rule.s -> 'atRisk'))::public.household_category[] as at_risk
    from public.households h
    left join public.building_grids_at(as_of) bg on bg.building_id = h.building_id
    left join public.grids g on g.id = bg.grid_id
    join rule on rule.k = coalesce(g.community_id, 0)
    where h.moved_in <= as_of and (h.moved_out is null or h.moved_out > as_of)
  ),
  lv as (
    select v.household_id, max(public.china_date(v.visited_at)) as last_visit
    from public.visits v
    join hh on hh.id = v.household_id
    join rule on rule.k = hh.k
    where public.china_date(v.visited_at) <= as_of
      and v.method::text = any (rule.methods)
      and (v.result = 'met' or rule.not_home)
    group by v.household_id
  )
  select hh.id, hh.building_id, hh.grid_id, hh.required_interval, lv.last_visit,
    coalesce(lv.last_visit > as_of - hh.required_interval, false) as covered,
    coalesce(lv.last_visit, hh.moved_in) + hh.required_interval as due_date,
    not coalesce(lv.last_visit > as_of - hh.required_interval, false)
      and coalesce(lv.last_visit, hh.moved_in) + hh.required_interval < as_of as overdue,
    hh.at_risk
  from hh left join lv on lv.household_id = hh.id
$function$
;
-- Each household's visit status at a date (interval, last counting visit, covered, due, overdue, at risk); private.

CREATE OR REPLACE FUNCTION public.installation_streets()
 RETURNS TABLE(id integer, code text, name text, is_demo boolean, created_at timestamp with time zone, communities integer, grids integer, staff integer, households integer)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  select s.id, s.code, s.name, s.is_demo, s.created_at,
    (select count(*)::int from public.communities c where c.street_id = s.id),
    (select count(*)::int from public.grids g join public.communities c on c.id = g.community_id where c.street_id = s.id),
    (select count(*)::int from public.staff st where st.street_id = s.id and st.active),
    (select count(*)::int from public.households h join public.buildings b on b.id = h.building_id
       join public.grids g on g.id = b.grid_id join public.communities c on c.id = g.community_id
     where c.street_id = s.id and h.moved_out is null)
  from public.streets s
  where minqing.is_installation_admin()
  order by s.code
$function$
;
-- The installation's streets with counts, for its administrator only.

CREATE OR REPLACE FUNCTION public.issue_events_are_append_only()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
begin
  raise exception 'issue events are append-only: % is not allowed', tg_op
    using errcode = 'insufficient_privilege';
end
$function$
;
-- Trigger that refuses update and delete of issue events.

CREATE OR REPLACE FUNCTION public.issue_events_default_kind()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
begin
  new.kind := coalesce(new.kind, new.to_status::text);
  return new;
end
$function$
;
-- Trigger that names an event without a kind after its new status.

CREATE OR REPLACE FUNCTION public.issue_indicators(p_from date, p_to date)
 RETURNS TABLE(grid_id integer, registered integer, closed integer, closed_on_time integer, rated integer, satisfied integer)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  select i.grid_id,
    count(*)::integer,
    count(*) filter (where c.closed)::integer,
    count(*) filter (where c.closed and i.closed_at <= i.due_at)::integer,
    count(*) filter (where c.closed and i.evaluation <> 'not_rated')::integer,
    count(*) filter (where c.closed and i.evaluation in ('satisfied', 'basically_satisfied'))::integer
  from public.issues i
  cross join lateral (select i.closed_at is not null and public.china_date(i.closed_at) <= p_to as closed) c
  where public.china_date(i.received_at) between p_from and p_to
    and i.status <> 'cancelled'
  group by i.grid_id
$function$
;
-- Per grid: issues registered in a period, closed, closed on time, rated and satisfied.

CREATE OR REPLACE FUNCTION public.issue_pins(p_at timestamp with time zone)
 RETURNS TABLE(id integer, reg_no text, grid_id integer, category issue_category, tier issue_tier, status issue_status, received_at timestamp with time zone, due_at timestamp with time zone, stage text, lon double precision, lat double precision)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  select i.id, i.reg_no, i.grid_id, i.category, i.tier, i.status, i.received_at, i.due_at,
    case
      when i.status in ('closed', 'cancelled') or (i.closed_at is not null and i.closed_at <= p_at) then 'closed'
      when i.status = 'resolved' then 'resolved'
      when p_at > i.due_at then 'overdue'
      when p_at > i.received_at + (i.due_at - i.received_at) / 2 then 'past_half'
      else 'on_track'
    end,
    ST_X(i.location), ST_Y(i.location)
  from public.issues i
  where i.received_at <= p_at
    -- Only the street of the caller, for a signed-in caller; server tasks see all.
    and (nullif(current_setting('request.jwt.claims', true), '') is null
         or exists (select 1 from public.grids g join public.communities c on c.id = g.community_id
                    where g.id = i.grid_id and c.street_id = minqing.my_street_id()))
$function$
;
-- The map's issue pins at an instant, with their stage, without personal data.

CREATE OR REPLACE FUNCTION public.issue_status_at(as_of date)
 RETURNS TABLE(issue_id integer, grid_id integer, building_id integer, open boolean, overdue boolean)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
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
$function$
;
-- Each issue's grid and building, and whether it is open and overdue at a date.

CREATE OR REPLACE FUNCTION public.issues_assign_reg_no()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  ym text := to_char((new.received_at at time zone 'UTC') + interval '8 hours', 'YYYYMM');
  seq integer;
begin
  if new.reg_no is not null then
    return new;
  end if;
  perform pg_advisory_xact_lock(hashtext('minqing.issue_reg_no'), ym::integer);
  -- Definer rights: the numbering counts every issue of the month, not only those the caller sees.
  select coalesce(max(right(reg_no, 3)::integer), 0) + 1 into seq from public.issues where reg_no like ym || '%';
  if seq > 999 then
    raise exception 'the registration numbers of % are used up (999 a month)', ym using errcode = 'numeric_value_out_of_range';
  end if;
  new.reg_no := ym || lpad(seq::text, 3, '0');
  return new;
end
$function$
;
-- Trigger that numbers a new issue: year, month and a gap-free monthly sequence.

CREATE OR REPLACE FUNCTION public.lock_grids_for_boundary_edit(p_grid_ids integer[])
 RETURNS TABLE(grid_id integer, version integer, community_id integer, retired boolean, editor_role text, leader_ids integer[], changed_by text, changed_at timestamp with time zone, change_kind text)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
begin
  if not exists (select 1 from unnest(p_grid_ids) x(id) where minqing.boundary_editor_role(x.id) is not null) then
    raise exception 'you may not redraw grid %: boundaries are redrawn by the grid''s leader or its community''s staff', p_grid_ids[1]
      using errcode = 'insufficient_privilege';
  end if;
  perform 1 from public.grids g where g.id = any (p_grid_ids) order by g.id for update;
  return query
    select g.id, g.version, g.community_id, g.retired_at is not null, minqing.boundary_editor_role(g.id),
      array(select sg.staff_id from public.staff_grids sg join public.staff s on s.id = sg.staff_id
            where sg.grid_id = g.id and s.role = 'grid_leader' and s.active order by sg.staff_id),
      public.staff_display_name(v.staff_id), v.valid_from, v.kind
    from public.grids g
    left join public.grid_versions v on v.grid_id = g.id and v.valid_to is null
    where g.id = any (p_grid_ids)
    order by g.id;
end
$function$
;
-- Locks grids for a boundary edit and reports their versions and last change.

CREATE OR REPLACE FUNCTION public.month_snapshot_ready(p_month_end date)
 RETURNS boolean
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
 SET "request.jwt.claims" TO ''
AS $function$
declare
  f date := date_trunc('month', p_month_end)::date;
begin
  if p_month_end is null or extract(day from p_month_end + 1) <> 1 then
    raise exception 'month_snapshot_ready: % is not the last day of a month', p_month_end
      using errcode = '22023';
  end if;
  if exists (select 1 from minqing.month_snapshot_state where month_end = p_month_end) then return true; end if;
  -- One filler per month end; a second request waits and then finds it stored.
  perform pg_advisory_xact_lock(hashtext('minqing.month_snapshot'), (p_month_end - date '2000-01-01'));
  -- Writers that change figures bump this row: they finish before we read, or wait for us.
  perform 1 from minqing.stats_state for share;
  if exists (select 1 from minqing.month_snapshot_state where month_end = p_month_end) then return true; end if;

  delete from public.grid_month_snapshots where month_end = p_month_end;
  -- Each reference function once (materialized), joined on every grid any of them lists.
  insert into public.grid_month_snapshots
  with s as materialized (select * from public.grid_stats(p_month_end)),
  v as materialized (select * from public.report_visit_timeliness(f, p_month_end)),
  i as materialized (select * from public.issue_indicators(f, p_month_end)),
  p as materialized (select * from public.report_patrol_days(f, p_month_end, p_month_end)),
  k as (select grid_id from s union select grid_id from v union select grid_id from i union select grid_id from p)
  select p_month_end, k.grid_id, s.grid_id is not null,
    s.households, s.covered_households, s.coverage, s.overdue_households, s.at_risk_households,
    s.at_risk_overdue, s.open_issues, s.overdue_issues, s.days_since_last_visit, s.days_since_last_patrol,
    s.attention, s.attention_breakdown,
    coalesce(v.due, 0), coalesce(v.done, 0), coalesce(v.on_time, 0),
    coalesce(i.registered, 0), coalesce(i.closed, 0), coalesce(i.closed_on_time, 0), coalesce(i.rated, 0), coalesce(i.satisfied, 0),
    coalesce(p.days_met, 0), coalesce(p.days_judged, 0)
  from k
  left join s on s.grid_id = k.grid_id
  left join v on v.grid_id = k.grid_id
  left join i on i.grid_id = k.grid_id
  left join p on p.grid_id = k.grid_id
  where k.grid_id is not null;
  insert into minqing.month_snapshot_state (month_end, stats_version)
  select p_month_end, version from minqing.stats_state;
  return true;
end
$function$
;
-- Stores a month end's per-grid figures if not yet stored; true when stored.

CREATE OR REPLACE FUNCTION public.month_snapshot_status(p_month_end date)
 RETURNS text
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  select case
    when exists (select 1 from minqing.month_snapshot_state s where s.month_end = p_month_end) then 'stored'
    when exists (
      select 1 from pg_catalog.pg_locks l
      where l.locktype = 'advisory' and l.granted and l.objsubid = 2
        and l.classid = hashtext('minqing.month_snapshot')::oid
        and l.objid = (p_month_end - date '2000-01-01')::oid
    ) then 'filling'
    else 'missing'
  end
$function$
;
-- Whether a month end's snapshot is stored, being filled, or missing, without waiting.

CREATE OR REPLACE FUNCTION public.policy_settings_at(p_community_id integer, as_of date)
 RETURNS jsonb
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
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
$function$
;
-- The visit policy in force for a community at a date: its own, else its street's, else the default.

CREATE OR REPLACE FUNCTION public.propose_grid_boundary(p_grid_id integer, p_base_version integer, p_geometry jsonb, p_neighbours jsonb, p_reason text, p_affected integer[], p_impact jsonb)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  me record;
  new_id integer;
begin
  select * into me from minqing.my_staff();
  if minqing.boundary_editor_role(p_grid_id) is null then
    raise exception 'you may not propose a boundary for grid %', p_grid_id using errcode = 'insufficient_privilege';
  end if;
  insert into public.boundary_proposals (grid_id, community_id, base_version, geometry, neighbours, reason,
                                         affected_grid_ids, impact, proposed_by)
  select p_grid_id, g.community_id, p_base_version, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(p_geometry::text), 4326)),
    coalesce(p_neighbours, '[]'), btrim(p_reason), p_affected, p_impact, me.staff_id
  from public.grids g where g.id = p_grid_id
  returning id into new_id;
  perform pg_notify('minqing_changes', json_build_object('table', 'boundary_proposals', 'gridId', x)::text)
  from unnest(p_affected) x;
  return new_id;
end
$function$
;
-- Stores a grid leader's boundary proposal for the community's staff to decide.

CREATE OR REPLACE FUNCTION public.record_personal_view(p_table text, p_ids integer[], p_grid_id integer, p_reason text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  me record;
begin
  select * into me from minqing.my_staff();
  if me.staff_id is null or cardinality(p_ids) = 0 then
    return;
  end if;
  insert into public.audit_log (user_id, staff_id, action, table_name, row_ids, street_id, community_id, reason)
  values (auth.uid(), me.staff_id, 'view_personal', p_table, p_ids, me.street_id,
          minqing.community_of_grid(p_grid_id), p_reason);
end
$function$
;
-- Logs a full-scope read of personal data that the API served.

CREATE OR REPLACE FUNCTION public.report_issue_cases(p_as_of date, p_long_days integer)
 RETURNS TABLE(reg_no text, grid_id integer, category issue_category, tier issue_tier, received_on date, due_on date, days_open integer, overdue boolean)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
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
$function$
;
-- Month report: the hard cases open at a date (escalated or long open), without personal data.

CREATE OR REPLACE FUNCTION public.report_issue_counts(p_from date, p_to date)
 RETURNS TABLE(grid_id integer, category issue_category, tier issue_tier, registered integer)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  select i.grid_id, i.category, i.tier, count(*)::int
  from public.issues i
  where public.china_date(i.received_at) between p_from and p_to
    and i.status <> 'cancelled'
    and i.grid_id = any (minqing.report_grid_ids())
  group by i.grid_id, i.category, i.tier
$function$
;
-- Month report: issues registered per grid, category and tier in a period.

CREATE OR REPLACE FUNCTION public.report_patrol_days(p_from date, p_to date, p_last_day date)
 RETURNS TABLE(grid_id integer, days_met integer, days_judged integer)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
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
$function$
;
-- Month report: per grid, days judged and days the patrol minimum was met.

CREATE OR REPLACE FUNCTION public.report_visit_timeliness(p_from date, p_to date)
 RETURNS TABLE(grid_id integer, due integer, done integer, on_time integer)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$ select * from minqing.visit_timeliness(p_from, p_to, null) $function$
;
-- Month report: per grid, visits due in a period, done, and done on time.

CREATE OR REPLACE FUNCTION public.reveal_household(p_household_id integer, p_reason text)
 RETURNS TABLE(id integer, head_name text, phone text, id_number text)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  grid integer := minqing.grid_of_household(p_household_id);
  access text := minqing.grid_access(grid);
  me record;
begin
  select * into me from minqing.my_staff();
  if grid is null or access = 'none' then
    raise exception 'household % is not in your scope', p_household_id using errcode = 'no_data_found';
  end if;
  if minqing.presenting() then
    raise exception 'personal data cannot be shown during a presentation' using errcode = 'insufficient_privilege';
  end if;
  if access <> 'full' and me.role <> 'street_leader' then
    raise exception 'your role may not reveal personal data' using errcode = 'insufficient_privilege';
  end if;
  if p_reason is null or char_length(btrim(p_reason)) < 2 then
    raise exception 'a reason is required to show personal data' using errcode = 'invalid_parameter_value';
  end if;
  insert into public.audit_log (user_id, staff_id, action, table_name, row_ids, street_id, community_id, reason)
  values (auth.uid(), me.staff_id, 'view_personal', 'households', array[p_household_id], me.street_id,
          minqing.community_of_grid(grid), btrim(p_reason));
  return query select h.id, h.head_name, h.phone, h.id_number from public.households h where h.id = p_household_id;
end
$function$
;
-- Shows a household's name, phone and ID number to an allowed caller, logging the reason.

CREATE OR REPLACE FUNCTION public.round1(x double precision)
 RETURNS double precision
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$ select floor(x * 10 + 0.5 + 1e-9) / 10 $function$
;
-- Rounds half-up to one decimal, as the TypeScript reference does.

CREATE OR REPLACE FUNCTION public.setup_progress()
 RETURNS TABLE(communities integer, grids integer, buildings integer, staff integer, households integer, history integer)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  with me as (
    select m.staff_id, m.street_id from minqing.my_staff() m where m.role = 'street_leader' and not minqing.presenting()
  ),
  street_grids as (
    select g.id, g.retired_at from public.grids g join public.communities c on c.id = g.community_id join me on c.street_id = me.street_id
  ),
  street_households as (
    select h.id, h.moved_out from public.households h
    join public.buildings b on b.id = h.building_id join street_grids g on g.id = b.grid_id
  )
  select
    (select count(*)::int from public.communities c where c.street_id = me.street_id),
    (select count(*)::int from street_grids where retired_at is null),
    (select count(*)::int from public.buildings b join street_grids g on g.id = b.grid_id),
    -- Everyone but the leader who set the street up.
    (select count(*)::int from public.staff s where s.street_id = me.street_id and s.active and s.id <> me.staff_id),
    (select count(*)::int from street_households where moved_out is null),
    (select count(*)::int from public.visits v join street_households h on h.id = v.household_id)
      + (select count(*)::int from public.issues i join street_grids g on g.id = i.grid_id)
  from me
$function$
;
-- The street leader's getting-started counts for their street; no row for anyone else.

CREATE OR REPLACE FUNCTION public.staff_display_name(staff_id integer)
 RETURNS text
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
  select s.name from public.staff s where s.id = staff_id
$function$
;
-- A staff member's name.

CREATE OR REPLACE FUNCTION public.stats_rollup_ready(p_as_of date)
 RETURNS bigint
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$
declare
  st minqing.stats_state;
begin
  select * into st from minqing.stats_state;
  if st.as_of is distinct from p_as_of then
    perform pg_advisory_xact_lock(hashtext('minqing.stats_rebuild'));
    select * into st from minqing.stats_state;  -- another request may have rebuilt meanwhile
    if st.as_of is distinct from p_as_of then perform minqing.stats_rebuild(p_as_of); end if;
    select * into st from minqing.stats_state;
  end if;
  return st.version;
end
$function$
;
-- Makes sure the rollups hold a date (rebuilding on a new day) and returns the stats version.

CREATE OR REPLACE FUNCTION public.stats_version()
 RETURNS bigint
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'extensions'
AS $function$ select version from minqing.stats_state $function$
;
-- The stats version, for ETags and live events, without building anything.

-- =============================================================================================
-- Triggers
-- =============================================================================================

CREATE TRIGGER audit_log_append_only BEFORE DELETE OR UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();

CREATE TRIGGER boundary_proposals_audit AFTER INSERT OR DELETE OR UPDATE ON boundary_proposals FOR EACH ROW EXECUTE FUNCTION minqing.audit_row_change();

CREATE TRIGGER building_grid_history_snapshots_del AFTER DELETE ON building_grid_history REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.snapshots_on_boundary_history();

CREATE TRIGGER building_grid_history_snapshots_ins AFTER INSERT ON building_grid_history REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.snapshots_on_boundary_history();

CREATE TRIGGER building_grid_history_snapshots_upd AFTER UPDATE ON building_grid_history REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.snapshots_on_boundary_history();

CREATE TRIGGER buildings_assign_grid BEFORE INSERT OR UPDATE OF footprint ON buildings FOR EACH ROW EXECUTE FUNCTION buildings_assign_grid();

CREATE TRIGGER buildings_audit AFTER INSERT OR DELETE OR UPDATE ON buildings FOR EACH ROW EXECUTE FUNCTION minqing.audit_row_change();

CREATE TRIGGER buildings_geometry_version AFTER INSERT OR DELETE OR UPDATE OF footprint, grid_id ON buildings FOR EACH STATEMENT EXECUTE FUNCTION minqing.bump_geometry_version();

CREATE TRIGGER buildings_grid_history AFTER INSERT OR UPDATE OF grid_id ON buildings FOR EACH ROW EXECUTE FUNCTION minqing.building_grid_track();

CREATE TRIGGER buildings_stats_del AFTER DELETE ON buildings REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.stats_on_buildings();

CREATE TRIGGER buildings_stats_ins AFTER INSERT ON buildings REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.stats_on_buildings();

CREATE TRIGGER buildings_stats_upd AFTER UPDATE ON buildings REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.stats_on_buildings();

CREATE TRIGGER communities_audit AFTER INSERT OR DELETE OR UPDATE ON communities FOR EACH ROW EXECUTE FUNCTION minqing.audit_row_change();

CREATE TRIGGER communities_snapshots_upd AFTER UPDATE ON communities REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.snapshots_on_places();

CREATE TRIGGER communities_stats_upd AFTER UPDATE ON communities REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.stats_on_policies();

CREATE TRIGGER communities_street_boundary_del AFTER DELETE ON communities REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.street_boundary_from_communities();

CREATE TRIGGER communities_street_boundary_ins AFTER INSERT ON communities REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.street_boundary_from_communities();

CREATE TRIGGER communities_street_boundary_upd AFTER UPDATE ON communities REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.street_boundary_from_communities();

CREATE TRIGGER communities_version_follows_change BEFORE UPDATE OF code, name, boundary ON communities FOR EACH ROW EXECUTE FUNCTION minqing.community_version_follows_change();

CREATE TRIGGER grid_versions_audit AFTER INSERT OR DELETE OR UPDATE ON grid_versions FOR EACH ROW EXECUTE FUNCTION minqing.audit_row_change();

CREATE TRIGGER grid_versions_snapshots_del AFTER DELETE ON grid_versions REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.snapshots_on_boundary_history();

CREATE TRIGGER grid_versions_snapshots_ins AFTER INSERT ON grid_versions REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.snapshots_on_boundary_history();

CREATE TRIGGER grid_versions_snapshots_upd AFTER UPDATE ON grid_versions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.snapshots_on_boundary_history();

CREATE TRIGGER grids_audit AFTER INSERT OR DELETE OR UPDATE ON grids FOR EACH ROW EXECUTE FUNCTION minqing.audit_row_change();

CREATE TRIGGER grids_first_version AFTER INSERT ON grids FOR EACH ROW EXECUTE FUNCTION minqing.grid_first_version();

CREATE TRIGGER grids_geometry_version AFTER INSERT OR DELETE OR UPDATE OF boundary, retired_at ON grids FOR EACH STATEMENT EXECUTE FUNCTION minqing.bump_geometry_version();

CREATE TRIGGER grids_snapshots_del AFTER DELETE ON grids REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.snapshots_on_places();

CREATE TRIGGER grids_snapshots_upd AFTER UPDATE ON grids REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.snapshots_on_places();

CREATE TRIGGER grids_stats_del AFTER DELETE ON grids REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.stats_on_grids();

CREATE TRIGGER grids_stats_ins AFTER INSERT ON grids REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.stats_on_grids();

CREATE TRIGGER grids_stats_upd AFTER UPDATE ON grids REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.stats_on_grids();

CREATE TRIGGER grids_version_follows_boundary BEFORE UPDATE OF boundary, code, name ON grids FOR EACH ROW EXECUTE FUNCTION minqing.grid_version_follows_boundary();

CREATE TRIGGER grids_version_on_direct_change AFTER UPDATE OF boundary, code, name ON grids FOR EACH ROW EXECUTE FUNCTION minqing.grid_version_on_direct_change();

CREATE TRIGGER households_audit AFTER INSERT OR DELETE OR UPDATE ON households FOR EACH ROW EXECUTE FUNCTION minqing.audit_row_change();

CREATE TRIGGER households_snapshots_del AFTER DELETE ON households REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.snapshots_on_households();

CREATE TRIGGER households_snapshots_ins AFTER INSERT ON households REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.snapshots_on_households();

CREATE TRIGGER households_snapshots_upd AFTER UPDATE ON households REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.snapshots_on_households();

CREATE TRIGGER households_stats_del AFTER DELETE ON households REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.stats_on_households();

CREATE TRIGGER households_stats_ins AFTER INSERT ON households REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.stats_on_households();

CREATE TRIGGER households_stats_upd AFTER UPDATE ON households REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.stats_on_households();

CREATE TRIGGER issue_events_announce_ins AFTER INSERT ON issue_events REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.announce_changes();

CREATE TRIGGER issue_events_append_only BEFORE DELETE OR UPDATE ON issue_events FOR EACH ROW EXECUTE FUNCTION issue_events_are_append_only();

CREATE TRIGGER issue_events_kind BEFORE INSERT ON issue_events FOR EACH ROW EXECUTE FUNCTION issue_events_default_kind();

CREATE TRIGGER issue_events_snapshots_del AFTER DELETE ON issue_events REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.snapshots_on_issue_events();

CREATE TRIGGER issue_events_snapshots_ins AFTER INSERT ON issue_events REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.snapshots_on_issue_events();

CREATE TRIGGER issue_events_stats_del AFTER DELETE ON issue_events REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.stats_on_issue_events();

CREATE TRIGGER issue_events_stats_ins AFTER INSERT ON issue_events REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.stats_on_issue_events();

CREATE TRIGGER issues_announce_ins AFTER INSERT ON issues REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.announce_changes();

CREATE TRIGGER issues_announce_upd AFTER UPDATE ON issues REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.announce_changes();

CREATE TRIGGER issues_audit AFTER INSERT OR DELETE OR UPDATE ON issues FOR EACH ROW EXECUTE FUNCTION minqing.audit_row_change();

CREATE TRIGGER issues_reg_no BEFORE INSERT ON issues FOR EACH ROW EXECUTE FUNCTION issues_assign_reg_no();

CREATE TRIGGER issues_snapshots_del AFTER DELETE ON issues REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.snapshots_on_issues();

CREATE TRIGGER issues_snapshots_ins AFTER INSERT ON issues REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.snapshots_on_issues();

CREATE TRIGGER issues_snapshots_upd AFTER UPDATE ON issues REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.snapshots_on_issues();

CREATE TRIGGER issues_stats_del AFTER DELETE ON issues REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.stats_on_issues();

CREATE TRIGGER issues_stats_ins AFTER INSERT ON issues REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.stats_on_issues();

CREATE TRIGGER issues_stats_upd AFTER UPDATE ON issues REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.stats_on_issues();

CREATE TRIGGER meeting_actions_audit AFTER INSERT OR DELETE OR UPDATE ON meeting_actions FOR EACH ROW EXECUTE FUNCTION minqing.audit_row_change();

CREATE TRIGGER meetings_audit AFTER INSERT OR DELETE OR UPDATE ON meetings FOR EACH ROW EXECUTE FUNCTION minqing.audit_row_change();

CREATE TRIGGER patrols_announce_ins AFTER INSERT ON patrols REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.announce_changes();

CREATE TRIGGER patrols_announce_upd AFTER UPDATE ON patrols REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.announce_changes();

CREATE TRIGGER patrols_audit AFTER INSERT OR DELETE OR UPDATE ON patrols FOR EACH ROW EXECUTE FUNCTION minqing.audit_row_change();

CREATE TRIGGER patrols_flag_off_grid BEFORE INSERT OR UPDATE OF track ON patrols FOR EACH ROW EXECUTE FUNCTION minqing.flag_patrol_off_grid();

CREATE TRIGGER patrols_snapshots_del AFTER DELETE ON patrols REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.snapshots_on_patrols();

CREATE TRIGGER patrols_snapshots_ins AFTER INSERT ON patrols REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.snapshots_on_patrols();

CREATE TRIGGER patrols_snapshots_upd AFTER UPDATE ON patrols REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.snapshots_on_patrols();

CREATE TRIGGER patrols_stats_del AFTER DELETE ON patrols REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.stats_on_patrols();

CREATE TRIGGER patrols_stats_ins AFTER INSERT ON patrols REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.stats_on_patrols();

CREATE TRIGGER patrols_stats_upd AFTER UPDATE ON patrols REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.stats_on_patrols();

CREATE TRIGGER staff_audit AFTER INSERT OR DELETE OR UPDATE ON staff FOR EACH ROW EXECUTE FUNCTION minqing.audit_row_change();

CREATE TRIGGER staff_grids_audit AFTER INSERT OR DELETE OR UPDATE ON staff_grids FOR EACH ROW EXECUTE FUNCTION minqing.audit_row_change();

CREATE TRIGGER visit_policies_audit AFTER INSERT OR DELETE OR UPDATE ON visit_policies FOR EACH ROW EXECUTE FUNCTION minqing.audit_row_change();

CREATE TRIGGER visit_policies_snapshots_del AFTER DELETE ON visit_policies REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.snapshots_on_policies();

CREATE TRIGGER visit_policies_snapshots_ins AFTER INSERT ON visit_policies REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.snapshots_on_policies();

CREATE TRIGGER visit_policies_snapshots_upd AFTER UPDATE ON visit_policies REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.snapshots_on_policies();

CREATE TRIGGER visit_policies_stats_del AFTER DELETE ON visit_policies REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.stats_on_policies();

CREATE TRIGGER visit_policies_stats_ins AFTER INSERT ON visit_policies REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.stats_on_policies();

CREATE TRIGGER visit_policies_stats_upd AFTER UPDATE ON visit_policies REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.stats_on_policies();

CREATE TRIGGER visits_announce_ins AFTER INSERT ON visits REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.announce_changes();

CREATE TRIGGER visits_announce_upd AFTER UPDATE ON visits REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.announce_changes();

CREATE TRIGGER visits_audit AFTER INSERT OR DELETE OR UPDATE ON visits FOR EACH ROW EXECUTE FUNCTION minqing.audit_row_change();

CREATE TRIGGER visits_flag_far_from_building BEFORE INSERT ON visits FOR EACH ROW EXECUTE FUNCTION minqing.flag_visit_far_from_building();

CREATE TRIGGER visits_snapshots_del AFTER DELETE ON visits REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.snapshots_on_visits();

CREATE TRIGGER visits_snapshots_ins AFTER INSERT ON visits REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.snapshots_on_visits();

CREATE TRIGGER visits_snapshots_upd AFTER UPDATE ON visits REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.snapshots_on_visits();

CREATE TRIGGER visits_stats_del AFTER DELETE ON visits REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.stats_on_visits();

CREATE TRIGGER visits_stats_ins AFTER INSERT ON visits REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.stats_on_visits();

CREATE TRIGGER visits_stats_upd AFTER UPDATE ON visits REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION minqing.stats_on_visits();

-- =============================================================================================
-- Policies
-- =============================================================================================

create policy "Staff can read the boundary proposals of their street" on public.boundary_proposals as permissive for select to authenticated
  using ((EXISTS ( SELECT 1
   FROM communities c
  WHERE ((c.id = boundary_proposals.community_id) AND (c.street_id = ( SELECT minqing.my_street_id() AS my_street_id))))));

create policy "Staff can read which grid each building belonged to in their st" on public.building_grid_history as permissive for select to authenticated
  using ((EXISTS ( SELECT 1
   FROM grids g
  WHERE (g.id = building_grid_history.grid_id))));

create policy "Community staff can add buildings to their community's grids" on public.buildings as permissive for insert to authenticated
  with check ((minqing.community_of_grid(grid_id) = ( SELECT minqing.my_managed_community() AS my_managed_community)));

create policy "Community staff can correct buildings in their community's grid" on public.buildings as permissive for update to authenticated
  using ((minqing.community_of_grid(grid_id) = ( SELECT minqing.my_managed_community() AS my_managed_community)))
  with check ((minqing.community_of_grid(grid_id) = ( SELECT minqing.my_managed_community() AS my_managed_community)));

create policy "Staff can read the buildings of their street" on public.buildings as permissive for select to authenticated
  using (((EXISTS ( SELECT 1
   FROM (grids g
     JOIN communities c ON ((c.id = g.community_id)))
  WHERE ((g.id = buildings.grid_id) AND (c.street_id = ( SELECT minqing.my_street_id() AS my_street_id))))) OR ((grid_id IS NULL) AND (EXISTS ( SELECT 1
   FROM minqing.my_staff() me(staff_id, role, street_id, community_id)
  WHERE (me.role = 'street_leader'::staff_role))))));

create policy "Staff can read the communities of their street" on public.communities as permissive for select to authenticated
  using ((street_id = ( SELECT minqing.my_street_id() AS my_street_id)));

create policy "Street leaders can add communities to their street" on public.communities as permissive for insert to authenticated
  with check (((street_id = ( SELECT minqing.my_led_street() AS my_led_street)) AND (NOT ( SELECT minqing.presenting() AS presenting))));

create policy "Street leaders can change the communities of their street" on public.communities as permissive for update to authenticated
  using (((street_id = ( SELECT minqing.my_led_street() AS my_led_street)) AND (NOT ( SELECT minqing.presenting() AS presenting))))
  with check (((street_id = ( SELECT minqing.my_led_street() AS my_led_street)) AND (NOT ( SELECT minqing.presenting() AS presenting))));

create policy "Staff can read the month-end figures of their street's grids" on public.grid_month_snapshots as permissive for select to authenticated
  using ((EXISTS ( SELECT 1
   FROM (grids g
     JOIN communities c ON ((c.id = g.community_id)))
  WHERE ((g.id = grid_month_snapshots.grid_id) AND (c.street_id = ( SELECT minqing.my_street_id() AS my_street_id))))));

create policy "Staff can read the boundary history of their street" on public.grid_versions as permissive for select to authenticated
  using ((EXISTS ( SELECT 1
   FROM communities c
  WHERE ((c.id = grid_versions.community_id) AND (c.street_id = ( SELECT minqing.my_street_id() AS my_street_id))))));

create policy "Community staff can add grids to their community" on public.grids as permissive for insert to authenticated
  with check ((community_id = ( SELECT minqing.my_managed_community() AS my_managed_community)));

create policy "Community staff can change their community's grids, except whil" on public.grids as permissive for update to authenticated
  using (((community_id = ( SELECT minqing.my_managed_community() AS my_managed_community)) AND (NOT ( SELECT minqing.presenting() AS presenting))))
  with check (((community_id = ( SELECT minqing.my_managed_community() AS my_managed_community)) AND (NOT ( SELECT minqing.presenting() AS presenting))));

create policy "Staff can read the grids of their street" on public.grids as permissive for select to authenticated
  using ((EXISTS ( SELECT 1
   FROM communities c
  WHERE ((c.id = grids.community_id) AND (c.street_id = ( SELECT minqing.my_street_id() AS my_street_id))))));

create policy "Street leaders can add grids to the communities of their street" on public.grids as permissive for insert to authenticated
  with check (((EXISTS ( SELECT 1
   FROM communities c
  WHERE ((c.id = grids.community_id) AND (c.street_id = ( SELECT minqing.my_led_street() AS my_led_street))))) AND (NOT ( SELECT minqing.presenting() AS presenting))));

create policy "Street leaders can redraw the grids of their street by import" on public.grids as permissive for update to authenticated
  using (((EXISTS ( SELECT 1
   FROM communities c
  WHERE ((c.id = grids.community_id) AND (c.street_id = ( SELECT minqing.my_led_street() AS my_led_street))))) AND (NOT ( SELECT minqing.presenting() AS presenting))))
  with check ((EXISTS ( SELECT 1
   FROM communities c
  WHERE ((c.id = grids.community_id) AND (c.street_id = ( SELECT minqing.my_led_street() AS my_led_street))))));

create policy "Grid leaders and community staff can add households in their sc" on public.households as permissive for insert to authenticated
  with check ((minqing.can_work_in_grid(minqing.grid_of_building(building_id)) AND (EXISTS ( SELECT 1
   FROM minqing.my_staff() me(staff_id, role, street_id, community_id)
  WHERE (me.role = ANY (ARRAY['grid_leader'::staff_role, 'community_staff'::staff_role]))))));

create policy "Grid leaders and community staff can update households in their" on public.households as permissive for update to authenticated
  using ((minqing.can_work_in_grid(minqing.grid_of_building(building_id)) AND (EXISTS ( SELECT 1
   FROM minqing.my_staff() me(staff_id, role, street_id, community_id)
  WHERE (me.role = ANY (ARRAY['grid_leader'::staff_role, 'community_staff'::staff_role]))))))
  with check (minqing.can_work_in_grid(minqing.grid_of_building(building_id)));

create policy "Grid teams and community staff can read households in their sco" on public.households as permissive for select to authenticated
  using ((building_id IN ( SELECT minqing.scope_building_ids(true) AS scope_building_ids)));

create policy "Staff can commit their own pending imports" on public.import_batches as permissive for update to authenticated
  using (((owner_id = auth.uid()) AND (committed_at IS NULL)))
  with check ((owner_id = auth.uid()));

create policy "Staff can discard their own imports" on public.import_batches as permissive for delete to authenticated
  using ((owner_id = auth.uid()));

create policy "Staff can read their own imports" on public.import_batches as permissive for select to authenticated
  using ((owner_id = auth.uid()));

create policy "Staff can start imports as themselves" on public.import_batches as permissive for insert to authenticated
  with check ((owner_id = auth.uid()));

create policy "Staff who may handle an issue can add events as themselves" on public.issue_events as permissive for insert to authenticated
  with check (((actor_id = ( SELECT my_staff.staff_id
   FROM minqing.my_staff() my_staff(staff_id, role, street_id, community_id))) AND (EXISTS ( SELECT 1
   FROM issues i
  WHERE ((i.id = issue_events.issue_id) AND minqing.can_work_in_grid(i.grid_id))))));

create policy "Staff who may read an issue can read its events" on public.issue_events as permissive for select to authenticated
  using ((EXISTS ( SELECT 1
   FROM issues i
  WHERE (i.id = issue_events.issue_id))));

create policy "Grid teams and community staff can handle issues in their scope" on public.issues as permissive for update to authenticated
  using (minqing.can_work_in_grid(grid_id))
  with check (minqing.can_work_in_grid(grid_id));

create policy "Grid teams and community staff can read issues in their scope" on public.issues as permissive for select to authenticated
  using ((grid_id = ANY (( SELECT minqing.full_grid_ids() AS full_grid_ids)::integer[])));

create policy "Grid teams and community staff can register issues in their sco" on public.issues as permissive for insert to authenticated
  with check (minqing.can_work_in_grid(grid_id));

create policy "Community staff can add decisions for their own community's gri" on public.meeting_actions as permissive for insert to authenticated
  with check ((EXISTS ( SELECT 1
   FROM ((minqing.my_staff() me(staff_id, role, street_id, community_id)
     JOIN meetings m ON ((m.community_id = me.community_id)))
     JOIN grids g ON ((g.community_id = m.community_id)))
  WHERE ((me.role = 'community_staff'::staff_role) AND (m.id = meeting_actions.meeting_id) AND (g.id = meeting_actions.grid_id)))));

create policy "Community staff can update decisions of their own community" on public.meeting_actions as permissive for update to authenticated
  using ((EXISTS ( SELECT 1
   FROM (minqing.my_staff() me(staff_id, role, street_id, community_id)
     JOIN meetings m ON ((m.community_id = me.community_id)))
  WHERE ((me.role = 'community_staff'::staff_role) AND (m.id = meeting_actions.meeting_id)))))
  with check ((EXISTS ( SELECT 1
   FROM ((minqing.my_staff() me(staff_id, role, street_id, community_id)
     JOIN meetings m ON ((m.community_id = me.community_id)))
     JOIN grids g ON ((g.community_id = m.community_id)))
  WHERE ((me.role = 'community_staff'::staff_role) AND (m.id = meeting_actions.meeting_id) AND (g.id = meeting_actions.grid_id)))));

create policy "Staff can read the decisions of their street's meetings" on public.meeting_actions as permissive for select to authenticated
  using ((EXISTS ( SELECT 1
   FROM meetings m
  WHERE (m.id = meeting_actions.meeting_id))));

create policy "Community staff can correct their own community's meetings" on public.meetings as permissive for update to authenticated
  using ((EXISTS ( SELECT 1
   FROM minqing.my_staff() me(staff_id, role, street_id, community_id)
  WHERE ((me.role = 'community_staff'::staff_role) AND (me.community_id = meetings.community_id)))))
  with check ((EXISTS ( SELECT 1
   FROM minqing.my_staff() me(staff_id, role, street_id, community_id)
  WHERE ((me.role = 'community_staff'::staff_role) AND (me.community_id = meetings.community_id)))));

create policy "Community staff can record their own community's meetings" on public.meetings as permissive for insert to authenticated
  with check ((EXISTS ( SELECT 1
   FROM minqing.my_staff() me(staff_id, role, street_id, community_id)
  WHERE ((me.role = 'community_staff'::staff_role) AND (me.community_id = meetings.community_id)))));

create policy "Staff can read the meetings of their street" on public.meetings as permissive for select to authenticated
  using ((EXISTS ( SELECT 1
   FROM communities c
  WHERE ((c.id = meetings.community_id) AND (c.street_id = ( SELECT minqing.my_street_id() AS my_street_id))))));

create policy "Grid teams can finish their own open patrols" on public.patrols as permissive for update to authenticated
  using (((staff_id = ( SELECT my_staff.staff_id
   FROM minqing.my_staff() my_staff(staff_id, role, street_id, community_id))) AND (ended_at IS NULL)))
  with check (((staff_id = ( SELECT my_staff.staff_id
   FROM minqing.my_staff() my_staff(staff_id, role, street_id, community_id))) AND minqing.can_work_in_grid(grid_id)));

create policy "Grid teams can log their own patrols" on public.patrols as permissive for insert to authenticated
  with check (((staff_id = ( SELECT my_staff.staff_id
   FROM minqing.my_staff() my_staff(staff_id, role, street_id, community_id))) AND minqing.can_work_in_grid(grid_id)));

create policy "Staff who may see a grid's people can read its patrols" on public.patrols as permissive for select to authenticated
  using ((grid_id = ANY (( SELECT minqing.visible_grid_ids() AS visible_grid_ids)::integer[])));

create policy "Staff can read the roads of their street" on public.roads as permissive for select to authenticated
  using ((street_id = ( SELECT minqing.my_street_id() AS my_street_id)));

create policy "Community staff can add staff to their community" on public.staff as permissive for insert to authenticated
  with check (((EXISTS ( SELECT 1
   FROM minqing.my_staff() me(staff_id, role, street_id, community_id)
  WHERE ((me.role = 'community_staff'::staff_role) AND (me.community_id = staff.community_id) AND (me.street_id = staff.street_id)))) AND (role = ANY (ARRAY['grid_leader'::staff_role, 'grid_member'::staff_role, 'community_staff'::staff_role]))));

create policy "Community staff can update staff of their community" on public.staff as permissive for update to authenticated
  using ((EXISTS ( SELECT 1
   FROM minqing.my_staff() me(staff_id, role, street_id, community_id)
  WHERE ((me.role = 'community_staff'::staff_role) AND (me.community_id = staff.community_id)))))
  with check (((EXISTS ( SELECT 1
   FROM minqing.my_staff() me(staff_id, role, street_id, community_id)
  WHERE ((me.role = 'community_staff'::staff_role) AND (me.community_id = staff.community_id)))) AND (role = ANY (ARRAY['grid_leader'::staff_role, 'grid_member'::staff_role, 'community_staff'::staff_role]))));

create policy "Managers can add staff below them in their scope" on public.staff as permissive for insert to authenticated
  with check (minqing.may_manage_staff(role, street_id, community_id));

create policy "Managers can change staff below them in their scope" on public.staff as permissive for update to authenticated
  using (minqing.may_manage_staff(role, street_id, community_id))
  with check (minqing.may_manage_staff(role, street_id, community_id));

create policy "Staff can read their colleagues in the street" on public.staff as permissive for select to authenticated
  using (((user_id = auth.uid()) OR ((street_id = ( SELECT minqing.my_street_id() AS my_street_id)) AND (NOT ( SELECT minqing.presenting() AS presenting)))));

create policy "Community staff can assign staff to their community's grids" on public.staff_grids as permissive for insert to authenticated
  with check ((EXISTS ( SELECT 1
   FROM (minqing.my_staff() me(staff_id, role, street_id, community_id)
     JOIN grids g ON ((g.community_id = me.community_id)))
  WHERE ((me.role = 'community_staff'::staff_role) AND (g.id = staff_grids.grid_id)))));

create policy "Community staff can remove assignments in their community's gri" on public.staff_grids as permissive for delete to authenticated
  using ((EXISTS ( SELECT 1
   FROM (minqing.my_staff() me(staff_id, role, street_id, community_id)
     JOIN grids g ON ((g.community_id = me.community_id)))
  WHERE ((me.role = 'community_staff'::staff_role) AND (g.id = staff_grids.grid_id)))));

create policy "Staff can read grid assignments in their street" on public.staff_grids as permissive for select to authenticated
  using (((staff_id = ( SELECT my_staff.staff_id
   FROM minqing.my_staff() my_staff(staff_id, role, street_id, community_id))) OR ((EXISTS ( SELECT 1
   FROM grids g
  WHERE (g.id = staff_grids.grid_id))) AND (NOT ( SELECT minqing.presenting() AS presenting)))));

create policy "The street leader can assign staff to grids in the street" on public.staff_grids as permissive for insert to authenticated
  with check ((EXISTS ( SELECT 1
   FROM ((minqing.my_staff() me(staff_id, role, street_id, community_id)
     JOIN communities c ON ((c.street_id = me.street_id)))
     JOIN grids g ON ((g.community_id = c.id)))
  WHERE ((me.role = 'street_leader'::staff_role) AND (g.id = staff_grids.grid_id) AND (NOT minqing.presenting())))));

create policy "The street leader can remove assignments in the street" on public.staff_grids as permissive for delete to authenticated
  using ((EXISTS ( SELECT 1
   FROM ((minqing.my_staff() me(staff_id, role, street_id, community_id)
     JOIN communities c ON ((c.street_id = me.street_id)))
     JOIN grids g ON ((g.community_id = c.id)))
  WHERE ((me.role = 'street_leader'::staff_role) AND (g.id = staff_grids.grid_id) AND (NOT minqing.presenting())))));

create policy "Staff can read their own street" on public.streets as permissive for select to authenticated
  using ((id = ( SELECT minqing.my_street_id() AS my_street_id)));

create policy "Community staff can add policy versions for their own community" on public.visit_policies as permissive for insert to authenticated
  with check (((community_id IS NOT NULL) AND (EXISTS ( SELECT 1
   FROM current_staff_role_and_community() me(staff_id, role, community_id)
  WHERE ((me.role = 'community_staff'::staff_role) AND (me.community_id = visit_policies.community_id)))) AND (valid_from >= china_date(now()))));

create policy "Staff can read the visit policies of their street" on public.visit_policies as permissive for select to authenticated
  using ((street_id = ( SELECT minqing.my_street_id() AS my_street_id)));

create policy "Grid teams and community staff can read visits in their scope" on public.visits as permissive for select to authenticated
  using ((household_id IN ( SELECT minqing.scope_household_ids(true) AS scope_household_ids)));

create policy "Ledger keepers can import visits to households in their scope" on public.visits as permissive for insert to authenticated
  with check (((import_batch_id IS NOT NULL) AND (import_key IS NOT NULL) AND (( SELECT my_staff.role
   FROM minqing.my_staff() my_staff(staff_id, role, street_id, community_id)) = ANY (ARRAY['grid_leader'::staff_role, 'community_staff'::staff_role])) AND minqing.can_work_in_grid(minqing.grid_of_household(household_id)) AND (EXISTS ( SELECT 1
   FROM import_batches b
  WHERE ((b.id = visits.import_batch_id) AND (b.kind = 'visits'::text)))) AND ((visitor_id IS NULL) OR (EXISTS ( SELECT 1
   FROM staff s
  WHERE ((s.id = visits.visitor_id) AND (s.community_id = minqing.community_of_grid(minqing.grid_of_household(visits.household_id)))))))));

create policy "Workers can log their own visits in their scope" on public.visits as permissive for insert to authenticated
  with check (((visitor_id = ( SELECT my_staff.staff_id
   FROM minqing.my_staff() my_staff(staff_id, role, street_id, community_id))) AND (import_batch_id IS NULL) AND (import_key IS NULL) AND minqing.can_work_in_grid(minqing.grid_of_household(household_id))));

-- =============================================================================================
-- Grants to the API roles (object: role privilege, …)
-- =============================================================================================

-- function minqing.audit_row_change(): authenticated execute, service_role execute

-- function minqing.boundary_editor_role(p_grid_id integer): authenticated execute, service_role execute

-- function minqing.can_work_in_grid(p_grid_id integer): authenticated execute, service_role execute

-- function minqing.community_of_grid(p_grid_id integer): authenticated execute, service_role execute

-- function minqing.flag_visit_far_from_building(): authenticated execute, service_role execute

-- function minqing.full_grid_ids(): authenticated execute, service_role execute

-- function minqing.grid_access(p_grid_id integer): authenticated execute, service_role execute

-- function minqing.grid_of_building(p_building_id integer): authenticated execute, service_role execute

-- function minqing.grid_of_household(p_household_id integer): authenticated execute, service_role execute

-- function minqing.imported_issue_keys(p_keys text[]): authenticated execute, service_role execute

-- function minqing.is_installation_admin(): authenticated execute, public execute, service_role execute

-- function minqing.link_auth_user(p_staff_id integer): authenticated execute, service_role execute

-- function minqing.managed_staff(p_staff_id integer, p_what text): authenticated execute, service_role execute

-- function minqing.mask_id_number(v text): authenticated execute, service_role execute

-- function minqing.mask_name(v text): authenticated execute, service_role execute

-- function minqing.mask_phone(v text): authenticated execute, service_role execute

-- function minqing.mask_row_image(j jsonb): authenticated execute, service_role execute

-- function minqing.mask_text(v text): authenticated execute, service_role execute

-- function minqing.may_manage_staff(p_role staff_role, p_street_id integer, p_community_id integer): authenticated execute, service_role execute

-- function minqing.month_snapshot_drift(p_month_end date): service_role execute

-- function minqing.my_led_street(): authenticated execute, service_role execute

-- function minqing.my_managed_community(): authenticated execute, service_role execute

-- function minqing.my_staff(): authenticated execute, service_role execute

-- function minqing.my_street_id(): authenticated execute, service_role execute

-- function minqing.presenting(): authenticated execute, service_role execute

-- function minqing.purge_import_batches(): authenticated execute, service_role execute

-- function minqing.rederive_building_grids(p_area geometry): authenticated execute, service_role execute

-- function minqing.report_grid_ids(): authenticated execute, service_role execute

-- function minqing.roster_email_status(p_emails text[], p_names text[]): authenticated execute, service_role execute

-- function minqing.scope_building_ids(p_full boolean): authenticated execute, service_role execute

-- function minqing.scope_grid_ids(): authenticated execute, service_role execute

-- function minqing.scope_household_ids(p_full boolean): authenticated execute, service_role execute

-- function minqing.seal_import_batch(p_id uuid, p_counts jsonb): authenticated execute, service_role execute

-- function minqing.set_initial_password(p_staff_id integer, p_password_hash text): authenticated execute, service_role execute

-- function minqing.stats_drift(): service_role execute

-- function minqing.stats_rebuild(p_as_of date): service_role execute

-- function minqing.taken_community_codes(p_codes text[]): authenticated execute, service_role execute

-- function minqing.taken_grid_codes(p_codes text[]): authenticated execute, service_role execute

-- function minqing.taken_issue_reg_nos(p_reg_nos text[]): authenticated execute, service_role execute

-- function minqing.tile_building_ids(p_box geometry): authenticated execute, service_role execute

-- function minqing.visible_grid_ids(): authenticated execute, service_role execute

-- table public.audit_log: service_role all

-- table public.audit_records: authenticated select, service_role select

-- table public.boundary_proposals: authenticated select, service_role all

-- table public.building_grid_history: authenticated select, service_role all

-- function public.building_grids_at(as_of date): authenticated execute, service_role execute

-- function public.building_household_counts(as_of date): authenticated execute, service_role execute

-- function public.building_stats(as_of date): authenticated execute, service_role execute

-- function public.building_stats_rollup(): authenticated execute, service_role execute

-- function public.building_workload(as_of date): authenticated execute, service_role execute

-- table public.buildings: authenticated select, service_role all

-- column public.buildings(address): authenticated insert update

-- column public.buildings(code): authenticated insert update

-- column public.buildings(floors): authenticated insert update

-- column public.buildings(footprint): authenticated insert update

-- column public.buildings(name): authenticated insert update

-- function public.china_day_end(d date): authenticated execute, service_role execute

-- function public.commit_grid_boundaries(p_changes jsonb, p_kind text, p_reason text, p_proposal_id integer): authenticated execute, service_role execute

-- table public.communities: authenticated select, service_role all

-- column public.communities(boundary): authenticated insert update

-- column public.communities(code): authenticated insert update

-- column public.communities(name): authenticated insert update

-- column public.communities(street_id): authenticated insert

-- function public.create_street(p_name text, p_code text, p_leader_name text, p_leader_email text, p_password_hash text): authenticated execute, service_role execute

-- function public.current_staff_role_and_community(): authenticated execute, service_role execute

-- function public.decide_boundary_proposal(p_id integer, p_status text, p_note text, p_committed_version integer): authenticated execute, service_role execute

-- function public.geometry_version(): authenticated execute, service_role execute

-- function public.grid_days_since_patrol(as_of date): service_role execute

-- function public.grid_household_count(p_grid_id integer, as_of date): authenticated execute, service_role execute

-- function public.grid_household_counts(as_of date): authenticated execute, service_role execute

-- table public.grid_month_snapshots: authenticated select, service_role all

-- function public.grid_overdue_households(p_grid_id integer, as_of date): authenticated execute, service_role execute

-- function public.grid_stats(as_of date): authenticated execute, service_role execute

-- function public.grid_stats_rollup(): authenticated execute, service_role execute

-- table public.grid_versions: authenticated select, service_role all

-- function public.grid_versions_at(as_of date): authenticated execute, service_role execute

-- function public.grid_visit_counts(p_grid_id integer, as_of date): authenticated execute, service_role execute

-- function public.grid_visit_timeliness(p_grid_id integer, p_from date, p_to date): authenticated execute, service_role execute

-- table public.grids: authenticated select, service_role all

-- column public.grids(boundary): authenticated insert update

-- column public.grids(code): authenticated insert update

-- column public.grids(community_id): authenticated insert

-- column public.grids(name): authenticated insert update

-- column public.grids(updated_at): authenticated update

-- column public.grids(version): authenticated update

-- function public.household_category_changes(p_household_id integer): authenticated execute, service_role execute

-- table public.household_records: authenticated select, service_role select

-- function public.household_visit_status(as_of date): service_role execute

-- table public.households: authenticated insert select update, service_role all

-- table public.import_batches: authenticated delete insert select, service_role all

-- column public.import_batches(committed): authenticated update

-- column public.import_batches(committed_at): authenticated update

-- function public.installation_streets(): authenticated execute, service_role execute

-- table public.issue_event_records: authenticated select, service_role select

-- table public.issue_events: authenticated insert select, service_role all

-- function public.issue_indicators(p_from date, p_to date): authenticated execute, service_role execute

-- table public.issue_origins: authenticated select, service_role select

-- function public.issue_pins(p_at timestamp with time zone): authenticated execute, service_role execute

-- table public.issue_records: authenticated select, service_role select

-- function public.issue_status_at(as_of date): service_role execute

-- table public.issues: authenticated insert select update, service_role all

-- function public.lock_grids_for_boundary_edit(p_grid_ids integer[]): authenticated execute, service_role execute

-- table public.meeting_actions: authenticated insert select update, service_role all

-- table public.meetings: authenticated insert select update, service_role all

-- function public.month_snapshot_ready(p_month_end date): authenticated execute, service_role execute

-- function public.month_snapshot_status(p_month_end date): authenticated execute, service_role execute

-- table public.patrols: authenticated insert select, service_role all

-- column public.patrols(ended_at): authenticated update

-- column public.patrols(track): authenticated update

-- function public.policy_settings_at(p_community_id integer, as_of date): authenticated execute, service_role execute

-- function public.propose_grid_boundary(p_grid_id integer, p_base_version integer, p_geometry jsonb, p_neighbours jsonb, p_reason text, p_affected integer[], p_impact jsonb): authenticated execute, service_role execute

-- function public.record_personal_view(p_table text, p_ids integer[], p_grid_id integer, p_reason text): authenticated execute, service_role execute

-- function public.report_issue_cases(p_as_of date, p_long_days integer): authenticated execute, service_role execute

-- function public.report_issue_counts(p_from date, p_to date): authenticated execute, service_role execute

-- function public.report_patrol_days(p_from date, p_to date, p_last_day date): authenticated execute, service_role execute

-- function public.report_visit_timeliness(p_from date, p_to date): authenticated execute, service_role execute

-- function public.reveal_household(p_household_id integer, p_reason text): authenticated execute, service_role execute

-- table public.roads: authenticated select, service_role all

-- function public.setup_progress(): authenticated execute, service_role execute

-- table public.staff: authenticated insert select, service_role all

-- column public.staff(active): authenticated update

-- column public.staff(community_id): authenticated update

-- column public.staff(email): authenticated update

-- column public.staff(name): authenticated update

-- column public.staff(phone): authenticated update

-- column public.staff(role): authenticated update

-- function public.staff_display_name(staff_id integer): authenticated execute, service_role execute

-- table public.staff_grids: authenticated delete insert select, service_role all

-- function public.stats_rollup_ready(p_as_of date): authenticated execute, service_role execute

-- function public.stats_version(): authenticated execute, service_role execute

-- table public.streets: authenticated select, service_role all

-- table public.visit_policies: authenticated insert select, service_role all

-- table public.visit_records: authenticated select, service_role select

-- table public.visits: authenticated insert select, service_role all


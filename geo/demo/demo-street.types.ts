/**
 * The plain-data shape of a generated demo street. The generator (street.generator.ts) produces it
 * with no I/O; api/db/seed.ts loads it into PostgreSQL. Ids are small positive integers assigned by
 * the generator and inserted as they are, so cross-references need no lookups.
 * Geometry is GeoJSON in WGS84 (EPSG:4326), [lon, lat].
 */
import type { LineString, MultiLineString, MultiPolygon, Point } from 'geojson';
import type { HouseholdCategory, HouseholdClassification, VisitMethod, VisitResult } from '../domain/household';
import type { IssueCategory, IssueComplexity, IssueEvaluation, IssueStatus, IssueTier } from '../domain/issue';
import type { StaffRole } from '../domain/staff';

/** ISO date `YYYY-MM-DD`. */
export type IsoDate = string;
/** ISO timestamp with offset, e.g. `2026-03-04T09:30:00+08:00`. */
export type IsoTime = string;

export interface DemoStreetRow {
  id: number;
  code: string;
  name: string;
  boundary: MultiPolygon;
}
export interface DemoCommunity {
  id: number;
  streetId: number;
  code: string;
  name: string;
  boundary: MultiPolygon;
}
export interface DemoRoad {
  id: number;
  name: string;
  kind: 'primary' | 'secondary' | 'residential';
  /** Centrelines along the grid edges they bound. */
  geometry: MultiLineString;
}
export interface DemoGrid {
  id: number;
  communityId: number;
  code: string;
  name: string;
  leaderId: number;
  boundary: MultiPolygon;
  /** 0..1, how diligently the grid's team works; recorded so tests can check the neglected grids show. */
  diligence: number;
}
export interface DemoBuilding {
  id: number;
  /** The grid containing the footprint's point-on-surface, as the database would assign it. */
  gridId: number;
  address: string;
  name: string | null;
  floors: number;
  footprint: MultiPolygon;
}
export interface DemoHousehold {
  id: number;
  buildingId: number;
  unit: string | null;
  room: string;
  headName: string;
  phone: string;
  members: number;
  categories: HouseholdCategory[];
  classification: HouseholdClassification;
  movedIn: IsoDate;
  movedOut: IsoDate | null;
}
export interface DemoStaff {
  id: number;
  name: string;
  phone: string;
  role: StaffRole;
  email: string;
  communityId: number | null;
  /** Grids the person serves (a leader leads one; a member may serve two). */
  gridIds: number[];
}
export interface DemoVisit {
  id: number;
  householdId: number;
  visitorId: number;
  visitedAt: IsoTime;
  method: VisitMethod;
  result: VisitResult;
  durationMin: number;
  notes: string;
  location: Point | null;
}
export interface DemoPatrol {
  id: number;
  gridId: number;
  staffId: number;
  startedAt: IsoTime;
  endedAt: IsoTime;
  track: LineString | null;
}
export interface DemoIssueEvent {
  at: IsoTime;
  actorId: number;
  from: IssueStatus | null;
  to: IssueStatus;
  note: string;
}
export interface DemoIssue {
  id: number;
  regNo: string;
  category: IssueCategory;
  description: string;
  location: Point;
  gridId: number;
  buildingId: number | null;
  householdId: number | null;
  reporter: { name: string; address: string; workUnit: string | null; contact: string };
  complexity: IssueComplexity;
  tier: IssueTier;
  status: IssueStatus;
  receivedAt: IsoTime;
  dueAt: IsoTime;
  closedAt: IsoTime | null;
  evaluation: IssueEvaluation;
  /** Status history, oldest first; the first event has from = null, to = 'registered'. */
  events: DemoIssueEvent[];
}

export interface DemoStreet {
  /** Always true: shown in the UI as 演示数据 so nobody mistakes it for real records. */
  demo: true;
  seed: number;
  today: IsoDate;
  street: DemoStreetRow;
  communities: DemoCommunity[];
  grids: DemoGrid[];
  buildings: DemoBuilding[];
  households: DemoHousehold[];
  staff: DemoStaff[];
  visits: DemoVisit[];
  patrols: DemoPatrol[];
  issues: DemoIssue[];
  roads: DemoRoad[];
}

export interface DemoStreetOptions {
  /** PRNG seed; the same seed, size and today give byte-identical output. */
  seed?: number;
  /** The generator's "today" (visits and issues run up to it). */
  today: IsoDate;
  /** Number of communities (3 for the demo street); later scale tiers raise it. */
  communities?: number;
  /** Months of history before `today` (12 for the demo). */
  months?: number;
}

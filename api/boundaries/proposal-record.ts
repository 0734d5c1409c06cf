/**
 * A boundary proposal as the API answers it: the row of public.boundary_proposals with the names
 * of who proposed and decided. Kept apart from the proposals' service because the redraw that
 * creates a proposal and the decision that applies one both read it.
 */
import type { MultiPolygon } from 'geojson';
import type { Areal, BoundaryImpact } from './boundary-preview';

export interface BoundaryProposal {
  id: number;
  gridId: number;
  communityId: number;
  baseVersion: number;
  status: 'pending' | 'approved' | 'rejected';
  reason: string;
  affectedGridIds: number[];
  proposedBy: number | null;
  proposedByName: string | null;
  proposedAt: string;
  decidedBy: number | null;
  decidedByName: string | null;
  decidedAt: string | null;
  note: string | null;
  committedVersion: number | null;
  geometry: MultiPolygon;
  neighbours: { gridId: number; version: number; geometry: Areal }[];
  impact: BoundaryImpact | null;
}

/** The select list of a BoundaryProposal over `public.boundary_proposals p`. */
export const PROPOSAL_COLUMNS = `p.id, p.grid_id as "gridId", p.community_id as "communityId", p.base_version as "baseVersion",
  p.status, p.reason, p.affected_grid_ids as "affectedGridIds", p.proposed_by as "proposedBy",
  public.staff_display_name(p.proposed_by) as "proposedByName", to_json(p.proposed_at)#>>'{}' as "proposedAt",
  p.decided_by as "decidedBy", public.staff_display_name(p.decided_by) as "decidedByName",
  to_json(p.decided_at)#>>'{}' as "decidedAt", p.note, p.committed_version as "committedVersion",
  ST_AsGeoJSON(p.geometry, 7)::json as geometry, p.neighbours, p.impact`;

/**
 * The map's typed theme. Layer functions take a theme rather than hard-coding colours, so a
 * projector theme (meeting mode) or a dark theme is a new object, not a new set of layers. Its
 * colours are the product's one palette's (geo/style/palette.ts), which the stylesheet shares.
 */
import { PALETTE } from '../../../geo/style/palette';

export interface MapTheme {
  background: string;
  /** Fill tints per community, in order; chosen from a colour-blind-safe qualitative palette. */
  communityTints: readonly string[];
  /** Opacity of grids coloured by a metric: strong enough to read on a projector. */
  metricFillOpacity: number;
  gridOutline: string;
  gridOutlineSelected: string;
  communityOutline: string;
  streetOutline: string;
  road: string;
  roadCasing: string;
  roadLabel: string;
  buildingFill: string;
  buildingOutline: string;
  labelText: string;
  labelHalo: string;
  /** The font-faces family name used by every symbol layer. */
  font: string;
  /**
   * Issue pins by deadline stage. Chosen to stand apart from the metric fills (blue to brown):
   * green, amber and magenta read as go / hurry / late, and the white ring keeps them off the fill.
   */
  issueStage: Record<'on_track' | 'past_half' | 'overdue' | 'resolved' | 'closed', string>;
  issuePinRing: string;
  issueClusterText: string;
  /** The boundary editor (web/src/boundary-editor): the edited outline, problems, impact and history compare. */
  boundary: {
    editFill: string;
    editOutline: string;
    splitLine: string;
    /** Overlap with another grid: red hatch and outline. */
    overlap: string;
    /** Gap left inside the community: orange. */
    gap: string;
    outside: string;
    /** Cut buildings and self-intersections: markers. */
    marker: string;
    buildingIn: string;
    buildingOut: string;
    added: string;
    removed: string;
    activeVertex: string;
  };
}

export const LIGHT_THEME: MapTheme = {
  background: PALETTE.mapBackground,
  communityTints: [PALETTE.tintBlue, PALETTE.tintPeach, PALETTE.tintGreen, PALETTE.tintLilac, PALETTE.tintRose, PALETTE.tintCyan],
  metricFillOpacity: 0.78,
  gridOutline: PALETTE.slate500,
  gridOutlineSelected: PALETTE.red650,
  communityOutline: PALETTE.slate800,
  streetOutline: PALETTE.nearBlack,
  road: PALETTE.white,
  roadCasing: PALETTE.roadCasing,
  roadLabel: PALETTE.roadLabel,
  buildingFill: PALETTE.buildingFill,
  buildingOutline: PALETTE.buildingOutline,
  labelText: PALETTE.ink,
  labelHalo: PALETTE.white,
  font: 'Noto Sans Regular',
  issueStage: {
    on_track: PALETTE.green600,
    past_half: PALETTE.amber,
    overdue: PALETTE.magenta,
    resolved: PALETTE.indigo500,
    closed: PALETTE.grey55,
  },
  issuePinRing: PALETTE.white,
  issueClusterText: PALETTE.white,
  boundary: {
    editFill: PALETTE.blue700,
    editOutline: PALETTE.blue700,
    splitLine: PALETTE.purple750,
    overlap: PALETTE.red600,
    gap: PALETTE.orange500,
    outside: PALETTE.purple700,
    marker: PALETTE.red600,
    buildingIn: PALETTE.green600,
    buildingOut: PALETTE.red600,
    added: PALETTE.green600,
    removed: PALETTE.red600,
    activeVertex: PALETTE.orange250,
  },
};

/**
 * The map's typed theme. Layer functions take a theme rather than hard-coding colours, so a
 * projector theme (meeting mode) or a dark theme is a new object, not a new set of layers.
 */
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
  background: '#f3f1ec',
  // Okabe–Ito-derived pastels: distinct for the common colour-vision deficiencies and in greyscale.
  communityTints: ['#9ecae1', '#fdd49e', '#b8e0b8', '#d9c3e6', '#f7b6b2', '#c7e9f1'],
  metricFillOpacity: 0.78,
  gridOutline: '#5b6770',
  gridOutlineSelected: '#d7301f',
  communityOutline: '#2b3a42',
  streetOutline: '#111111',
  road: '#ffffff',
  roadCasing: '#c8c1b4',
  roadLabel: '#5a5247',
  buildingFill: '#c9c3b8',
  buildingOutline: '#8c857a',
  labelText: '#1f2a30',
  labelHalo: '#ffffff',
  font: 'Noto Sans Regular',
  issueStage: { on_track: '#1a9850', past_half: '#f0a30a', overdue: '#c51b7d', resolved: '#5e72b0', closed: '#8c8c8c' },
  issuePinRing: '#ffffff',
  issueClusterText: '#ffffff',
  boundary: {
    editFill: '#2166ac',
    editOutline: '#2166ac',
    splitLine: '#762a83',
    overlap: '#d7191c',
    gap: '#f28e2b',
    outside: '#7b3294',
    marker: '#d7191c',
    buildingIn: '#1a9850',
    buildingOut: '#d7191c',
    added: '#1a9850',
    removed: '#d7191c',
    activeVertex: '#fdb863',
  },
};

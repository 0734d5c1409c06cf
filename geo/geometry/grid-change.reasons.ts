/**
 * Why a split, merge or revert cannot be made, before any boundary is validated: named reasons
 * with zh/en messages (geo/i18n/strings.ts), shared by the server's 422 answers and the editor.
 * Problems with the resulting boundaries themselves are BOUNDARY_PROBLEM codes
 * (grid-boundary.validation.ts).
 */
import type { StringKey } from '../i18n/strings';

export const GRID_CHANGE_REASON = {
  /** The line does not cut the grid into pieces: it must enter and leave the grid. */
  SPLIT_LINE_DOES_NOT_CROSS: 'SPLIT_LINE_DOES_NOT_CROSS',
  /** The line cuts the grid into more than two pieces (it crosses it several times). */
  SPLIT_MORE_THAN_TWO_PARTS: 'SPLIT_MORE_THAN_TWO_PARTS',
  /** The new grid of a split has no name. */
  SPLIT_NAME_EMPTY: 'SPLIT_NAME_EMPTY',
  /** Another grid of the community already has the name chosen for a split's grid. */
  SPLIT_NAME_TAKEN: 'SPLIT_NAME_TAKEN',
  /** Merging a grid with itself. */
  MERGE_SAME_GRID: 'MERGE_SAME_GRID',
  /** The two grids belong to different communities. */
  MERGE_DIFFERENT_COMMUNITIES: 'MERGE_DIFFERENT_COMMUNITIES',
  /** The two grids share no edge (touching at a corner is not enough). */
  MERGE_NOT_NEIGHBOURS: 'MERGE_NOT_NEIGHBOURS',
  /** Reverting to the version the grid already has. */
  REVERT_TO_CURRENT: 'REVERT_TO_CURRENT',
  /** A neighbour redrawn with the grid is not in the grid's community, or is the grid itself. */
  NEIGHBOUR_NOT_IN_COMMUNITY: 'NEIGHBOUR_NOT_IN_COMMUNITY',
} as const;

export type GridChangeReason = (typeof GRID_CHANGE_REASON)[keyof typeof GRID_CHANGE_REASON];

export const GRID_CHANGE_MESSAGE: Readonly<Record<GridChangeReason, StringKey>> = {
  SPLIT_LINE_DOES_NOT_CROSS: 'gridChange_splitLineDoesNotCross',
  SPLIT_MORE_THAN_TWO_PARTS: 'gridChange_splitMoreThanTwoParts',
  SPLIT_NAME_EMPTY: 'gridChange_splitNameEmpty',
  SPLIT_NAME_TAKEN: 'gridChange_splitNameTaken',
  MERGE_SAME_GRID: 'gridChange_mergeSameGrid',
  MERGE_DIFFERENT_COMMUNITIES: 'gridChange_mergeDifferentCommunities',
  MERGE_NOT_NEIGHBOURS: 'gridChange_mergeNotNeighbours',
  REVERT_TO_CURRENT: 'gridChange_revertToCurrent',
  NEIGHBOUR_NOT_IN_COMMUNITY: 'gridChange_neighbourNotInCommunity',
};

/** Two grids are neighbours when their shared edge is at least this long (a corner is not an edge). */
export const MIN_SHARED_EDGE_M = 1;

/**
 * The name of a split's new grid: not empty, and unique among the community's other live grids
 * (names compare trimmed, as grids are named). `taken` is every other grid's name, the grid being
 * split included (its own name stays with it). The editor and the split endpoint both ask this.
 */
export function validateSplitName(
  name: string,
  taken: readonly string[],
):
  | { valid: true; name: string }
  | { valid: false; reason: typeof GRID_CHANGE_REASON.SPLIT_NAME_EMPTY | typeof GRID_CHANGE_REASON.SPLIT_NAME_TAKEN; name: string } {
  const trimmed = name.trim();
  if (trimmed.length === 0) return { valid: false, reason: GRID_CHANGE_REASON.SPLIT_NAME_EMPTY, name: trimmed };
  if (taken.some((t) => t.trim() === trimmed)) return { valid: false, reason: GRID_CHANGE_REASON.SPLIT_NAME_TAKEN, name: trimmed };
  return { valid: true, name: trimmed };
}

import type { Household } from './api';

/**
 * What covers the side panel's content, if anything: one at a time by construction, so opening
 * one closes the others. The issue page is not here: it lives in the URL (url-state.ts) and shows
 * when none of these is open.
 */
export type SideOverlay =
  /** The field-work forms; `done` once the issue is registered (the map stops offering to pick). */
  | { kind: 'visit-form'; household: Household }
  | { kind: 'issue-form'; household: Household | null; done: boolean }
  | { kind: 'diary' }
  /** The boundary proposals screen (issue #5), from the header. */
  | { kind: 'proposals' }
  /** The grid whose boundary is being redrawn; the key restarts the editor after a reload. */
  | { kind: 'editing'; gridId: number; key: number }
  /** 人员管理 (issue 18), and the grids of the person being edited, highlighted on the map. */
  | { kind: 'staff'; scope: number[] | null };

export type SideOverlayKind = SideOverlay['kind'];

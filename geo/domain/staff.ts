/** Staff roles (../shared/DOMAIN.md "Who uses it"); keys of the `staff_role` enum. */
export const STAFF_ROLES = [
  'street_leader', // 街道领导
  'community_staff', // 社区工作者 / 社区书记
  'grid_leader', // 网格长
  'grid_member', // 网格员, 楼栋长, 民警, volunteers
  'presenter', // the projector account at 民情分析会
] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/**
 * What each role may do, for the interface to show or hide actions. It mirrors the row-level
 * security in supabase/migrations/*_access.sql, which is what actually enforces it; the API's
 * access tests check that the two agree.
 */
export interface Capabilities {
  /** List a grid's households (masked or not, per scope). */
  readHouseholds: boolean;
  /** Show a masked household's personal fields, with a reason, logged. */
  revealPersonal: boolean;
  /** Add visit-policy versions for a community. */
  editPolicies: boolean;
  /** Log visits and patrols, register and handle issues. */
  logVisits: boolean;
  /** Read the audit trail. */
  readAudit: boolean;
  /** Redraw grid boundaries. */
  editBoundaries: boolean;
  /** Import grids and buildings from files into their community (20261207001100_imports.sql). */
  importMap: boolean;
  /** Import the street's communities, and grids for the whole street, each to its community (20261209000200_communities.sql). */
  importStreetMap: boolean;
  /** Import household ledgers (台账) for the grids they keep. */
  importLedgers: boolean;
  /** Change a grid's code and name in their community (20261207000800_boundaries.sql). */
  editGridLabels: boolean;
}

const NONE: Capabilities = {
  readHouseholds: false,
  revealPersonal: false,
  editPolicies: false,
  logVisits: false,
  readAudit: false,
  editBoundaries: false,
  importMap: false,
  importStreetMap: false,
  importLedgers: false,
  editGridLabels: false,
};

export const ROLE_CAPABILITIES: Record<StaffRole, Capabilities> = {
  street_leader: { ...NONE, readHouseholds: true, revealPersonal: true, readAudit: true, importStreetMap: true },
  community_staff: {
    ...NONE,
    readHouseholds: true,
    editPolicies: true,
    logVisits: true,
    readAudit: true,
    editBoundaries: true,
    importMap: true,
    importLedgers: true,
    editGridLabels: true,
  },
  grid_leader: { ...NONE, readHouseholds: true, logVisits: true, editBoundaries: true, importLedgers: true },
  grid_member: { ...NONE, readHouseholds: true, logVisits: true },
  presenter: NONE,
};

/** A presentation shows no personal data and changes nothing, whatever the role. */
export function capabilitiesOf(role: StaffRole | null, presenting = false): Capabilities {
  if (!role || presenting) return NONE;
  return ROLE_CAPABILITIES[role];
}

/**
 * The roles each role may create and manage, in its own scope (the street leader's street, the
 * community staff's community). Mirrors minqing.may_manage_staff() in
 * 20261208000100_staff_accounts.sql, which enforces it; nobody manages a role above their own.
 */
export const MANAGEABLE_ROLES: Record<StaffRole, readonly StaffRole[]> = {
  street_leader: ['community_staff', 'grid_leader', 'grid_member', 'presenter'],
  community_staff: ['community_staff', 'grid_leader', 'grid_member'],
  grid_leader: [],
  grid_member: [],
  presenter: [],
};

export function mayManageRole(manager: StaffRole | null, target: StaffRole): boolean {
  return manager !== null && MANAGEABLE_ROLES[manager].includes(target);
}

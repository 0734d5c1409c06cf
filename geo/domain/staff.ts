/** Staff roles (../shared/DOMAIN.md "Who uses it"); keys of the `staff_role` enum. */
export const STAFF_ROLES = [
  'street_leader', // 街道领导
  'community_staff', // 社区工作者 / 社区书记
  'grid_leader', // 网格长
  'grid_member', // 网格员, 楼栋长, 民警, volunteers
  'presenter', // the projector account at 民情分析会
] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

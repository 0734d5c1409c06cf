/** Meetings of a community on its grids (../shared/DOMAIN.md "Reporting rhythm"); keys of the `meeting_type` enum. */
export const MEETING_TYPES = [
  'analysis', // 民情分析会: the monthly review of the grids
  'consultation', // 民情恳谈会: residents heard on a matter
] as const;
export type MeetingType = (typeof MEETING_TYPES)[number];

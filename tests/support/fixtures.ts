/** Fixed inputs shared by tests, so every suite sees the same demo street. */
export const DEMO_TODAY = '2026-11-15';

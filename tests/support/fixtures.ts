/** Fixed inputs shared by tests, so every suite sees the same demo street. */
export const DEMO_TODAY = '2026-11-15';

/** Signs test tokens; real deployments use JWT_SECRET or a secret generated into DATA_DIR. */
export const TEST_JWT_SECRET = 'test-only-secret-0123456789abcdef0123456789';

export { DEMO_ACCOUNTS, DEMO_PASSWORD } from '../../api/db/seed';

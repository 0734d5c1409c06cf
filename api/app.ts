/**
 * createApp() builds the whole HTTP API from its dependencies; the server and the tests both
 * use it, so tests exercise exactly what runs in production. AppType is what the web app's
 * typed client (Hono RPC) is built from.
 */
import { Hono } from 'hono';
// All three languages for translate(), synchronously (the web app loads zh-TW and English when chosen).
import '../geo/i18n/all-locales';
import { authenticate, requireSignIn } from './auth/middleware';
import { createSessionCheck } from './auth/session-check';
import { createTokenVerifier } from './auth/tokens';
import type { Database } from './db/database';
import type { Env } from './env';
import { notFound, onError } from './lib/errors';
import type { AppEnv } from './lib/request-db';
import { corsPolicy, jsonBodyLimit, requestTimeout, securityHeaders } from './lib/security';
import { ChangeFeed } from './live/change-feed';
import { auditRoutes } from './routes/audit';
import { authRoutes } from './routes/auth';
import { boundaryProposalRoutes } from './routes/boundary-proposals';
import { buildingRoutes } from './routes/buildings';
import { communityRoutes } from './routes/communities';
import { configRoutes } from './routes/config';
import { eventRoutes } from './routes/events';
import { exportRoutes } from './routes/exports';
import { gridBoundaryRoutes } from './routes/grid-boundaries';
import { gridBoundaryCommitRoutes } from './routes/grid-boundary-commit';
import { gridLabelRoutes } from './routes/grid-labels';
import { gridRoutes } from './routes/grids';
import { healthRoutes } from './routes/health';
import { householdRoutes } from './routes/households';
import { importRoutes } from './routes/imports';
import { issueRoutes } from './routes/issues';
import { legendRoutes } from './routes/legend';
import { actionRoutes, meetingRoutes } from './routes/meetings';
import { ogcRoutes } from './routes/ogc';
import { patrolRoutes } from './routes/patrols';
import { policyRoutes } from './routes/policies';
import { reportRoutes } from './routes/reports';
import { roadRoutes } from './routes/roads';
import { setupRoutes } from './routes/setup';
import { staffRoutes } from './routes/staff';
import { statsRoutes } from './routes/stats';
import { streetRoutes } from './routes/streets';
import { tileRoutes } from './routes/tiles';
import { visitRoutes } from './routes/visits';

export interface AppDeps {
  db: Database;
  env: Env;
  /** HS256 secret that signs and verifies access tokens (api/auth/tokens.ts). */
  jwtSecret: string;
  /** Live changes for GET /api/events; one per server (created here when not given). */
  changes?: ChangeFeed;
  /** How often an idle event stream sends a heartbeat and checks its session again (tests shorten it). */
  heartbeatMs?: number;
}

export function createApi(deps: AppDeps) {
  const verify = createTokenVerifier({ secret: deps.jwtSecret, supabaseUrl: deps.env.supabase?.url });
  const check = createSessionCheck(deps.db);
  return (
    new Hono<AppEnv>()
      .use(authenticate(verify, check))
      .route('/health', healthRoutes(deps))
      .route('/auth', authRoutes(deps))
      // Public while the installation has no street; its checklist needs a sign-in of its own.
      .route('/setup', setupRoutes(deps))
      // Everything registered below needs a signed-in caller; the database then decides what it sees.
      .use(requireSignIn)
      .route('/config', configRoutes(deps))
      .route('/streets', streetRoutes(deps))
      .route('/communities', communityRoutes(deps))
      .route('/grids', gridRoutes(deps))
      .route('/grids', gridBoundaryRoutes(deps))
      .route('/grids', gridBoundaryCommitRoutes(deps))
      .route('/grids', gridLabelRoutes(deps))
      .route('/boundary-proposals', boundaryProposalRoutes(deps))
      .route('/buildings', buildingRoutes(deps))
      .route('/roads', roadRoutes(deps))
      .route('/stats', statsRoutes(deps))
      .route('/tiles', tileRoutes(deps))
      .route('/legend', legendRoutes(deps))
      .route('/policies', policyRoutes(deps))
      .route('/households', householdRoutes(deps))
      .route('/audit', auditRoutes(deps))
      .route('/visits', visitRoutes(deps))
      .route('/patrols', patrolRoutes(deps))
      .route('/staff', staffRoutes(deps))
      .route('/issues', issueRoutes(deps))
      .route('/reports', reportRoutes(deps))
      .route('/meetings', meetingRoutes(deps))
      .route('/actions', actionRoutes(deps))
      .route('/imports', importRoutes(deps))
      .route('/exports', exportRoutes(deps))
      .route('/events', eventRoutes({ changes: deps.changes ?? new ChangeFeed(deps.db), check, heartbeatMs: deps.heartbeatMs }))
  );
}

export function createApp(deps: AppDeps) {
  const app = new Hono()
    .use(securityHeaders(deps.env))
    .use('/api/*', corsPolicy(deps.env))
    .use('/api/*', jsonBodyLimit())
    .use('/api/*', requestTimeout(deps.env))
    .use('/ogc/*', requestTimeout(deps.env))
    .route('/api', createApi(deps))
    .route('/ogc', ogcRoutes(deps));
  app.onError(onError);
  app.notFound(notFound);
  return app;
}

export type AppType = ReturnType<typeof createApp>;

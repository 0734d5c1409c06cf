/**
 * Setting up an empty installation: GET /api/setup says whether it is needed (the web app then
 * shows the setup page, not the sign-in page), POST /api/setup creates the first street and its
 * leader and signs the leader in, and answers 409 already_set_up ever after. Public while no
 * street exists — there is nobody to sign in as yet. GET /api/setup/checklist is the street
 * leader's list of what a real street still lacks (docs/setup.md).
 */

import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import { checkPassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../geo/domain/password-rules';
import { translate } from '../../geo/i18n/strings';
import type { AppDeps } from '../app';
import { requestLocale } from '../auth/locale';
import { requireSignIn } from '../auth/middleware';
import { hashPassword } from '../auth/password';
import { issueToken, TOKEN_LIFETIME_S } from '../auth/tokens';
import { ApiError, validationHook } from '../lib/errors';
import { type AppEnv, asCaller } from '../lib/request-db';
import { setupChecklist } from '../streets/setup-checklist';
import { refuseBadStreetCode, streetFields } from '../streets/street-input';
import { setUpFirstStreet, setupNeeded } from '../streets/street-setup';

const setupBody = z.object({
  street: streetFields,
  admin: z.object({
    name: z.string().trim().min(1, 'admin.name is required').max(100),
    email: z.string().trim().toLowerCase().email('admin.email must be an email address').max(254),
    password: z.string().max(1024).optional(),
  }),
});

export function setupRoutes({ db, env, jwtSecret }: AppDeps) {
  return new Hono<AppEnv>()
    .get('/', async (c) => c.json({ needed: await setupNeeded(db), mode: env.supabase ? ('supabase' as const) : ('local' as const) }))
    .post('/', zValidator('json', setupBody, validationHook), async (c) => {
      const { street, admin } = c.req.valid('json');
      const locale = requestLocale(c);
      // Said before anything is checked, so nobody learns more than "set up already" from a probe.
      if (!(await setupNeeded(db))) throw new ApiError(409, 'already_set_up', translate(locale, 'setup_alreadySetUp'));
      refuseBadStreetCode(locale, street.code, 'street.code');
      if (env.supabase) {
        // Supabase Auth keeps the password: the leader signs up there first and sets up signed in.
        const claims = c.get('claims');
        if (claims.role !== 'authenticated' || !claims.sub) {
          throw new ApiError(401, 'unauthorized', translate(locale, 'setup_supabaseSignInFirst'));
        }
        const created = await setUpFirstStreet(db, {
          street,
          leader: { name: admin.name, email: String(claims.email ?? admin.email) },
          passwordHash: null,
          authUserId: claims.sub,
          locale,
          leaderField: 'admin',
        });
        // No token of ours: the caller keeps the Supabase session it set up with.
        return c.json(
          { access_token: null, token_type: null, expires_in: null, street: { id: created.streetId, ...street }, staffId: created.staffId },
          201,
        );
      }
      const password = admin.password ?? '';
      const check = checkPassword(password, { email: admin.email });
      if (!check.valid) {
        throw new ApiError(
          422,
          'weak_password',
          translate(locale, `passwordReason_${check.reason}`, { min: PASSWORD_MIN_LENGTH, max: PASSWORD_MAX_LENGTH }),
          [{ path: 'admin.password', reason: check.reason }],
        );
      }
      const created = await setUpFirstStreet(db, {
        street,
        leader: admin,
        passwordHash: await hashPassword(password),
        locale,
        leaderField: 'admin',
      });
      const token = await issueToken(jwtSecret, { id: created.userId!, email: admin.email });
      return c.json(
        {
          access_token: token,
          token_type: 'bearer' as const,
          expires_in: TOKEN_LIFETIME_S,
          street: { id: created.streetId, ...street },
          staffId: created.staffId,
        },
        201,
      );
    })
    .get('/checklist', requireSignIn, async (c) => c.json(await asCaller(db, c.get('claims'), (tx) => setupChecklist(tx))));
}

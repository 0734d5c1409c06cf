/**
 * The installation's streets, for its administrator: GET /api/streets lists them with counts
 * (no personal data), POST /api/streets creates one with its first street leader, whose
 * one-time password is in this answer and nowhere else. The database refuses everyone but an
 * installation administrator (public.create_street, public.installation_streets).
 */

import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import { translate } from '../../geo/i18n/strings';
import type { AppDeps } from '../app';
import { requestLocale } from '../auth/locale';
import { generateInitialPassword, hashPassword } from '../auth/password';
import { ApiError, validationHook } from '../lib/errors';
import { type AppEnv, asCaller } from '../lib/request-db';
import { refuseBadStreetCode, streetFields } from '../streets/street-input';
import { createStreet, installationStreets } from '../streets/street-setup';

const newStreet = z.object({
  street: streetFields,
  leader: z.object({
    name: z.string().trim().min(1, 'leader.name is required').max(100),
    email: z.string().trim().toLowerCase().email('leader.email must be an email address').max(254),
  }),
});

export function streetRoutes({ db, env }: AppDeps) {
  return new Hono<AppEnv>()
    .get('/', async (c) => c.json(await asCaller(db, c.get('claims'), (tx) => installationStreets(tx))))
    .post('/', zValidator('json', newStreet, validationHook), async (c) => {
      const { street, leader } = c.req.valid('json');
      const locale = requestLocale(c);
      refuseBadStreetCode(locale, street.code, 'street.code');
      // On Supabase the leader's staff record waits for the Auth user with that email.
      const initialPassword = env.supabase ? null : generateInitialPassword();
      const passwordHash = initialPassword ? await hashPassword(initialPassword) : null;
      const created = await asCaller(db, c.get('claims'), async (tx) => {
        const [admin] = await tx.query<{ yes: boolean }>('select minqing.is_installation_admin() as yes');
        if (!admin!.yes) throw new ApiError(403, 'forbidden', translate(locale, 'streets_onlyInstallationAdmin'));
        return createStreet(tx, { street, leader, passwordHash, locale, leaderField: 'leader' });
      });
      return c.json({ street: { id: created.streetId, ...street }, leader: { staffId: created.staffId, ...leader, initialPassword } }, 201);
    });
}

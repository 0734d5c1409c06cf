/** A street's name and code as the setup and the installation administrator send them. */
import { z } from 'zod';
import { checkStreetCode } from '../../geo/domain/division-code.validation';
import { type Locale, translate } from '../../geo/i18n/strings';
import { ApiError } from '../lib/errors';

export const streetFields = z.object({
  name: z.string().trim().min(1, 'street.name is required').max(100),
  code: z.string().trim().max(40),
});

/** A code that is not a street's 12-digit division code, as a 422 saying which rule it breaks. */
export function refuseBadStreetCode(locale: Locale, code: string, path: string): void {
  const check = checkStreetCode(code);
  if (check.valid) return;
  throw new ApiError(422, 'invalid_street_code', translate(locale, `streetCode_${check.reason}`, { code }), [
    { path, reason: check.reason },
  ]);
}

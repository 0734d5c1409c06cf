/**
 * What a logged visit (民情日记, ../shared/DOMAIN.md "The visit record") must satisfy: the
 * request's shape, and the rules that need the household and the clock. Records must be
 * truthful (002 不准弄虚作假): a visit that cannot have happened is refused with the reason, so
 * the worker can correct it on the spot.
 */
import { z } from 'zod';
import { MAX_DB_INT } from './db-int';
import { pointSchema } from './geojson.validation';
import { VISIT_METHODS, VISIT_RESULTS } from './household';

export const visitInputSchema = z
  .object({
    householdId: z.number().int().positive().max(MAX_DB_INT, `at most ${MAX_DB_INT}`),
    visitedAt: z.iso
      .datetime({ offset: true, error: 'visitedAt must be an ISO time with its offset, e.g. 2026-11-20T10:00:00+08:00' })
      .refine((s) => Date.parse(s) >= Date.parse('2000-01-01T00:00:00+08:00'), 'visitedAt is before 2000, earlier than any record'),
    method: z.enum(VISIT_METHODS),
    result: z.enum(VISIT_RESULTS),
    durationMin: z.number().int().min(0).max(1440).optional(),
    notes: z.string().max(5000).optional(),
    location: pointSchema.optional(),
    accuracyM: z.number().finite().min(0).max(100_000).optional(),
  })
  .strict();
export type VisitInput = z.infer<typeof visitInputSchema>;

/** Phones keep their own time: this much ahead of the server is skew, not a visit from the future. */
export const VISIT_CLOCK_SKEW_MS = 5 * 60_000;

export interface VisitRefusal {
  code: 'visit_in_future' | 'household_moved_out' | 'household_not_moved_in';
  message: string;
}

/**
 * Why a visit cannot be logged, or null. `visitDate` is the visit's calendar date in China; a
 * household is in scope from `movedIn` up to the day before `movedOut` (docs/metrics.md), so a
 * visit on the day it moved out or later, or before it moved in, visited nobody.
 */
export function visitRefusal(
  visit: { visitedAt: string; visitDate: string },
  household: { movedIn: string; movedOut: string | null },
  now: Date,
): VisitRefusal | null {
  if (Date.parse(visit.visitedAt) > now.getTime() + VISIT_CLOCK_SKEW_MS) {
    return {
      code: 'visit_in_future',
      message: `visitedAt ${visit.visitedAt} is in the future (server time ${now.toISOString()}, ${VISIT_CLOCK_SKEW_MS / 60_000} minutes of clock skew allowed); log a visit after it has happened`,
    };
  }
  if (household.movedOut !== null && visit.visitDate >= household.movedOut) {
    return {
      code: 'household_moved_out',
      message: `the household moved out on ${household.movedOut}; a visit on ${visit.visitDate} came after it had left`,
    };
  }
  if (visit.visitDate < household.movedIn) {
    return {
      code: 'household_not_moved_in',
      message: `the household moved in on ${household.movedIn}, after this visit on ${visit.visitDate}`,
    };
  }
  return null;
}

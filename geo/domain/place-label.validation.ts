/**
 * A place's code and name as typed by hand (a grid's in PATCH /api/grids/:id, a community's in
 * POST/PATCH /api/communities): checked before any scheme (grid-code.ts, community-code.ts) so
 * that a control character or a sentence never reaches a code board.
 */
import { z } from 'zod';

/** Letters, digits and the separators cities put in codes; no spaces, so a code is one word on a board. */
export const PLACE_CODE_CHARS = /^[\p{L}\p{N}][\p{L}\p{N}._\-/]*$/u;

export const placeCodeSchema = z
  .string({ error: 'code is a string' })
  .trim()
  .min(1, 'code must not be empty')
  .max(40, 'code is at most 40 characters')
  .regex(PLACE_CODE_CHARS, 'code holds letters, digits and . _ - / only, starting with a letter or digit');

export const placeNameSchema = z
  .string({ error: 'name is a string' })
  .trim()
  .min(1, 'name must not be empty')
  .max(60, 'name is at most 60 characters')
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  .regex(/^[^\u0000-\u001f\u007f]*$/, 'name must not hold control characters');

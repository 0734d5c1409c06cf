/**
 * One error shape for every failure: {"error":{"code","message","details"}}. Handlers throw
 * ApiError for expected refusals; anything else is a programmer or infrastructure error and
 * becomes a 500 whose details never leak internals.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { API_ERROR_CODES, type ApiErrorCode } from '../../geo/errors/api-error-codes';

export const errorBodySchema = z.object({
  error: z.object({
    code: z.enum(API_ERROR_CODES),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
    /** Headers the refusal carries, e.g. Retry-After on a 429. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function errorBody(code: ApiErrorCode, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

export function onError(err: Error, c: Context): Response {
  if (err instanceof ApiError) return c.json(errorBody(err.code, err.message, err.details), err.status, err.headers);
  // Row-level security or a missing grant refused the statement: the caller may not do this.
  if ((err as { code?: string }).code === '42501') {
    return c.json(
      errorBody('forbidden', `You are not allowed to do this (${err.message}). Sign in with an account whose role and scope permit it.`),
      403,
    );
  }
  if (err instanceof HTTPException) {
    const status = err.status;
    const code: ApiErrorCode = status === 413 ? 'payload_too_large' : status === 401 ? 'unauthorized' : 'http_error';
    return c.json(errorBody(code, err.message || 'Request refused'), status);
  }
  // The stack only: driver errors also carry the query's parameters, which may be personal data,
  // and their messages quote values (a phone in "invalid input syntax", a key in a unique violation).
  console.error(`[api] ${c.req.method} ${new URL(c.req.url).pathname} failed: ${redactValues(err.stack ?? err.message)}`);
  return c.json(errorBody('internal_error', 'The server failed to handle this request; it has been logged.'), 500);
}

/** Quoted values and long digit runs (phones, ID numbers) out of a log line; the words stay. */
export function redactValues(text: string): string {
  return text.replace(/"[^"\n]*"|'[^'\n]*'|=\([^\n]*?\)(?= |$)/gm, '…').replace(/\d{6,}[\dXx]?/g, '…');
}

export function notFound(c: Context): Response {
  return c.json(errorBody('not_found', `No route for ${c.req.method} ${new URL(c.req.url).pathname}`), 404);
}

/** A hook for @hono/zod-validator: a failed validation becomes `status` with `code`, naming each field. */
export function validationHookFor(code: ApiErrorCode, status: ContentfulStatusCode) {
  return (
    result: { success: true } | { success: false; error: { issues: readonly z.core.$ZodIssue[] } },
    c: Context,
  ): Response | undefined => {
    if (result.success) return undefined;
    const details = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    const summary = details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join('; ');
    return c.json(errorBody(code, summary, details), status);
  };
}

/** Malformed requests: a 400 naming each field. */
export const validationHook = validationHookFor('invalid_request', 400);

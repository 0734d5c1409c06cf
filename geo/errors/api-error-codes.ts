/**
 * Every error code the API answers with, in `{"error":{"code","message","details"}}`: the one
 * closed list that the server's ApiError takes (api/lib/errors.ts) and the web app can match
 * on. Here in geo/ because both sides import it and it pulls in no server code. Refusal codes
 * that the domain rules produce (an issue's transitions, a visit's dates) are listed too; the
 * compiler checks that those rules' own unions stay inside this list wherever they become an
 * ApiError. A code leaves this list only when nothing answers it any more: clients match on them.
 */
export const API_ERROR_CODES = [
  // Any request
  'invalid_request', // the request's shape: a field missing or malformed (400), or a contradiction in it (422)
  'unauthorized', // no or an unusable sign-in (401)
  'invalid_token', // a token that does not verify or has expired (401)
  'forbidden', // signed in, but the role or scope does not permit this (403; also row-level security's refusals)
  'not_found', // no such route, or no such thing in the caller's scope (404)
  'payload_too_large', // the body or file is over its limit (413)
  'timeout', // the request ran past its time limit (504)
  'http_error', // another refusal by the HTTP layer, with its status
  'internal_error', // anything unexpected (500); details never leak internals

  // Setup and streets (docs/setup.md)
  'already_set_up', // the installation has a street: setup is over (409)
  'invalid_street_code', // not a street's 12-digit division code; details name the rule (422)

  // Sign-in and staff
  'invalid_credentials',
  'too_many_attempts', // 429, with Retry-After
  'unknown_staff',
  'not_a_grid_role',
  'account_disabled', // the staff record is disabled: its tokens and sign-in stop at once (401)
  'token_revoked', // logged out, or the password changed since this token was issued (401)
  'password_change_required', // a one-time password must be changed before anything else (403)
  'weak_password', // details name the field and the rule it breaks (422)
  'wrong_current_password',
  'email_taken', // another account has this email (409)
  'role_above_own', // nobody creates or manages a role above their own (403)
  'community_required', // this role needs a community
  'out_of_scope', // the person or grid is outside the caller's scope (403)
  'own_access', // one may not change one's own role, scope or activity
  'invite_failed', // Supabase Auth did not invite the new staff member; nothing was created (502)

  // Grids and their boundaries (docs/boundaries.md)
  'stale_version', // the grid moved on since the version the client edited (409)
  'grid_retired', // merged away; it no longer changes (409)
  'invalid_boundary', // the shape fails validation; details.problems as the preview gives them (422)
  'invalid_change', // a redraw or revert the rules refuse; details.reason (422)
  'invalid_split',
  'invalid_merge',
  'proposal_decided', // approved or rejected already (409)
  'proposal_stale', // a grid of the proposal changed since it was drawn (409)
  'invalid_grid_code', // not in the street's code scheme (422)
  'code_taken',
  'name_taken',
  'grid_outside_community',
  'invalid_community_code', // not in the street's scheme for community codes; details.reason, example (422)

  // Imports (docs/import-export.md; the wizard's texts: geo/import/problem-text.ts)
  'unreadable_file',
  'unknown_crs',
  'invalid_mapping',
  'already_committed',
  'import_conflict',
  'import_rejected',
  'import_has_errors', // a visit ledger's dry run has errors: nothing is committed until they are fixed (422)

  // Field work: visits, patrols, issues, meetings
  'idempotency_key_reused', // a retry that is not the same request (409)
  'visit_in_future',
  'household_moved_out',
  'household_not_moved_in',
  'location_outside_grids',
  'patrol_already_open',
  'patrol_already_stopped',
  'transition_not_allowed', // an issue cannot take this step from where it is (409)
  'note_required',
  'evaluation_required',
  'extension_days_required',
  'received_in_future',
  'reg_no_exhausted',
  'conflict',

  // Policies and reports
  'invalid_policy',
  'invalid_month',
  'month_end_filling', // the month's figures are being stored now (503, with Retry-After)
] as const;

export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

const KNOWN: ReadonlySet<string> = new Set(API_ERROR_CODES);

/** Whether a code read from an answer is one of ours (a client meets others only from a proxy in between). */
export function isApiErrorCode(code: string): code is ApiErrorCode {
  return KNOWN.has(code);
}

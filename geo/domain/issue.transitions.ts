/**
 * The handling of a 民情民意事项 as a state machine (../shared/DOMAIN.md "Issues and their handling"):
 * 收集 → 交办 → 落实 → 反馈. One pure function decides every transition, so the API, the web app's
 * buttons and the tests agree on what is allowed; the database records each step as an immutable event.
 *
 * Actions (the `to` of POST /api/issues/:id/transitions):
 *   accepted     registered → accepted            (交办: a handler takes it)
 *   in_progress  accepted → in_progress           (落实)
 *   resolved     in_progress → resolved
 *   closed       resolved → closed, with the resident's evaluation (反馈); "dissatisfied" reopens it
 *   reopened     closed → in_progress, when the resident is dissatisfied after closing
 *   cancelled    registered | accepted → cancelled (a duplicate or not a matter for us), with a reason
 *   escalated    tier up one level (on the spot → community → street), status unchanged, with a reason
 *   returned     回退 to the previous handler: a resolution sent back (resolved → in_progress), or an
 *                escalated matter sent back down one tier; with a reason
 *   extended     a later due date, with a reason that is shown to the resident
 */
import type { IssueEvaluation, IssueStatus, IssueTier } from './issue';
import { ISSUE_TIERS } from './issue';

export const ISSUE_ACTIONS = [
  'accepted',
  'in_progress',
  'resolved',
  'closed',
  'reopened',
  'cancelled',
  'escalated',
  'returned',
  'extended',
] as const;
export type IssueAction = (typeof ISSUE_ACTIONS)[number];

/** Why a transition is refused; each has a zh-CN/zh-TW/en message in geo/i18n/strings.ts. */
export const TRANSITION_NOT_ALLOWED = 'transition_not_allowed';
export const NOTE_REQUIRED = 'note_required';
export const EVALUATION_REQUIRED = 'evaluation_required';
export const DAYS_REQUIRED = 'extension_days_required';
export type TransitionRefusal = typeof TRANSITION_NOT_ALLOWED | typeof NOTE_REQUIRED | typeof EVALUATION_REQUIRED | typeof DAYS_REQUIRED;

export interface IssueState {
  status: IssueStatus;
  tier: IssueTier;
  /** The tier before the last escalation still in force, if any (for 回退). */
  escalatedFrom: IssueTier | null;
}

export interface TransitionInput {
  to: IssueAction;
  note?: string | null;
  evaluation?: IssueEvaluation;
  /** For `extended`: how many days later the matter is now due. */
  days?: number;
}

/** One immutable event to record; `from`/`to` are statuses (equal when only the tier or due date moves). */
export interface TransitionEvent {
  kind: IssueAction;
  from: IssueStatus;
  to: IssueStatus;
  details: Record<string, unknown>;
}

export type TransitionResult =
  | { valid: true; next: IssueState & { evaluation?: IssueEvaluation; extendDays?: number }; events: TransitionEvent[] }
  | { valid: false; reason: TransitionRefusal; allowed: IssueAction[] };

const OPEN: readonly IssueStatus[] = ['registered', 'accepted', 'in_progress'];
const NEEDS_NOTE: ReadonlySet<IssueAction> = new Set(['cancelled', 'escalated', 'returned', 'extended', 'reopened']);

function tierAbove(t: IssueTier): IssueTier | null {
  return ISSUE_TIERS[ISSUE_TIERS.indexOf(t) + 1] ?? null;
}

/** The actions open to an issue in this state, in the order the interface shows them. */
export function allowedActions(s: IssueState): IssueAction[] {
  const out: IssueAction[] = [];
  if (s.status === 'registered') out.push('accepted');
  if (s.status === 'accepted') out.push('in_progress');
  if (s.status === 'in_progress') out.push('resolved');
  if (s.status === 'resolved') out.push('closed', 'returned');
  if (s.status === 'closed') out.push('reopened');
  if (OPEN.includes(s.status)) {
    if (tierAbove(s.tier)) out.push('escalated');
    if (s.escalatedFrom) out.push('returned');
    out.push('extended');
  }
  if (s.status === 'registered' || s.status === 'accepted') out.push('cancelled');
  return out;
}

export function applyTransition(s: IssueState, input: TransitionInput): TransitionResult {
  const allowed = allowedActions(s);
  const refuse = (reason: TransitionRefusal): TransitionResult => ({ valid: false, reason, allowed });
  if (!allowed.includes(input.to)) return refuse(TRANSITION_NOT_ALLOWED);
  const note = input.note?.trim() ?? '';
  if (NEEDS_NOTE.has(input.to) && note.length === 0) return refuse(NOTE_REQUIRED);
  const event = (kind: IssueAction, to: IssueStatus, details: Record<string, unknown> = {}): TransitionEvent => ({
    kind,
    from: s.status,
    to,
    details,
  });
  switch (input.to) {
    case 'accepted':
    case 'in_progress':
    case 'resolved':
    case 'cancelled':
      return { valid: true, next: { ...s, status: input.to }, events: [event(input.to, input.to)] };
    case 'closed': {
      if (!input.evaluation) return refuse(EVALUATION_REQUIRED);
      const closed = event('closed', 'closed', { evaluation: input.evaluation });
      if (input.evaluation !== 'dissatisfied') {
        return { valid: true, next: { ...s, status: 'closed', evaluation: input.evaluation }, events: [closed] };
      }
      // 不满意 reopens at once: the matter is not settled, whatever the handler thought.
      const reopen: TransitionEvent = { kind: 'reopened', from: 'closed', to: 'in_progress', details: { evaluation: 'dissatisfied' } };
      return { valid: true, next: { ...s, status: 'in_progress', evaluation: 'dissatisfied' }, events: [closed, reopen] };
    }
    case 'reopened':
      return {
        valid: true,
        next: { ...s, status: 'in_progress', evaluation: 'dissatisfied' },
        events: [event('reopened', 'in_progress', { evaluation: 'dissatisfied' })],
      };
    case 'escalated': {
      const up = tierAbove(s.tier)!;
      return {
        valid: true,
        next: { ...s, tier: up, escalatedFrom: s.tier },
        events: [event('escalated', s.status, { fromTier: s.tier, toTier: up })],
      };
    }
    case 'returned': {
      if (s.status === 'resolved') {
        return { valid: true, next: { ...s, status: 'in_progress' }, events: [event('returned', 'in_progress')] };
      }
      const down = s.escalatedFrom!;
      return {
        valid: true,
        next: { ...s, tier: down, escalatedFrom: null },
        events: [event('returned', s.status, { fromTier: s.tier, toTier: down })],
      };
    }
    case 'extended': {
      const days = input.days;
      if (days === undefined || !Number.isInteger(days) || days < 1 || days > 90) return refuse(DAYS_REQUIRED);
      return { valid: true, next: { ...s, extendDays: days }, events: [event('extended', s.status, { days })] };
    }
  }
}

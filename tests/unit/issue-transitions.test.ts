import { describe, expect, it } from 'vitest';
import { ISSUE_STATUSES, ISSUE_TIERS, type IssueStatus, type IssueTier } from '../../geo/domain/issue';
import {
  allowedActions,
  applyTransition,
  DAYS_REQUIRED,
  EVALUATION_REQUIRED,
  ISSUE_ACTIONS,
  type IssueState,
  NOTE_REQUIRED,
  TRANSITION_NOT_ALLOWED,
} from '../../geo/domain/issue.transitions';

const state = (status: IssueStatus, tier: IssueTier = 'on_spot', escalatedFrom: IssueTier | null = null): IssueState => ({
  status,
  tier,
  escalatedFrom,
});
const full = { note: '原因', evaluation: 'satisfied' as const, days: 7 };

describe('issue transitions', () => {
  it('follows the main line registered → accepted → in progress → resolved → closed', () => {
    let s = state('registered');
    for (const to of ['accepted', 'in_progress', 'resolved', 'closed'] as const) {
      const r = applyTransition(s, { to, evaluation: 'satisfied' });
      expect(r.valid, to).toBe(true);
      if (!r.valid) return;
      expect(r.events).toEqual([expect.objectContaining({ kind: to, from: s.status, to })]);
      s = r.next;
    }
    expect(s.status).toBe('closed');
    expect(allowedActions(s)).toEqual(['reopened']);
  });

  it('refuses, for every state, exactly the actions it does not offer, naming the allowed ones', () => {
    for (const status of ISSUE_STATUSES) {
      for (const tier of ISSUE_TIERS) {
        const s = state(status, tier);
        const allowed = allowedActions(s);
        for (const to of ISSUE_ACTIONS) {
          const r = applyTransition(s, { to, ...full });
          if (allowed.includes(to)) expect(r.valid, `${status}/${tier} → ${to}`).toBe(true);
          else expect(r, `${status}/${tier} → ${to}`).toEqual({ valid: false, reason: TRANSITION_NOT_ALLOWED, allowed });
        }
      }
    }
  });

  it('offers nothing but cancellation is final', () => {
    expect(allowedActions(state('cancelled'))).toEqual([]);
  });

  it('needs a reason to cancel, escalate, return, extend or reopen', () => {
    expect(applyTransition(state('registered'), { to: 'cancelled' })).toMatchObject({ valid: false, reason: NOTE_REQUIRED });
    expect(applyTransition(state('accepted'), { to: 'escalated', note: '  ' })).toMatchObject({ valid: false, reason: NOTE_REQUIRED });
    expect(applyTransition(state('resolved'), { to: 'returned' })).toMatchObject({ valid: false, reason: NOTE_REQUIRED });
    expect(applyTransition(state('in_progress'), { to: 'extended', days: 3 })).toMatchObject({ valid: false, reason: NOTE_REQUIRED });
    expect(applyTransition(state('closed'), { to: 'reopened' })).toMatchObject({ valid: false, reason: NOTE_REQUIRED });
  });

  it('needs the evaluation to close, and a "dissatisfied" one reopens at once', () => {
    expect(applyTransition(state('resolved'), { to: 'closed' })).toMatchObject({ valid: false, reason: EVALUATION_REQUIRED });
    const r = applyTransition(state('resolved'), { to: 'closed', evaluation: 'dissatisfied' });
    expect(r).toMatchObject({ valid: true, next: { status: 'in_progress', evaluation: 'dissatisfied' } });
    if (r.valid)
      expect(r.events.map((e) => [e.kind, e.from, e.to])).toEqual([
        ['closed', 'resolved', 'closed'],
        ['reopened', 'closed', 'in_progress'],
      ]);
  });

  it('escalates one tier at a time, up to the street, and returns one tier to the previous handler', () => {
    const up = applyTransition(state('accepted', 'on_spot'), { to: 'escalated', note: '需社区协调' });
    expect(up).toMatchObject({ valid: true, next: { status: 'accepted', tier: 'community', escalatedFrom: 'on_spot' } });
    if (!up.valid) return;
    expect(allowedActions(up.next)).toContain('returned');
    const back = applyTransition(up.next, { to: 'returned', note: '网格可自行处理' });
    expect(back).toMatchObject({ valid: true, next: { tier: 'on_spot', escalatedFrom: null } });
    expect(allowedActions(state('in_progress', 'escalated'))).not.toContain('escalated');
  });

  it('sends a resolution back to in progress', () => {
    expect(applyTransition(state('resolved'), { to: 'returned', note: '未彻底解决' })).toMatchObject({
      valid: true,
      next: { status: 'in_progress' },
    });
  });

  it('extends by 1 to 90 whole days', () => {
    expect(applyTransition(state('in_progress'), { to: 'extended', note: '等待物业配合', days: 0 })).toMatchObject({
      valid: false,
      reason: DAYS_REQUIRED,
    });
    expect(applyTransition(state('in_progress'), { to: 'extended', note: '等待物业配合', days: 91 })).toMatchObject({
      valid: false,
      reason: DAYS_REQUIRED,
    });
    expect(applyTransition(state('in_progress'), { to: 'extended', note: '等待物业配合', days: 10 })).toMatchObject({
      valid: true,
      next: { status: 'in_progress', extendDays: 10 },
    });
  });
});

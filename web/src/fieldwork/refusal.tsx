import { ISSUE_ACTIONS, type IssueAction } from '../../../geo/domain/issue.transitions';
import { ApiRequestError } from '../api';
import { useLocale } from '../i18n/locale';

/** Refusals the interface can explain in the user's language; the server's own sentence is shown as well. */
const KNOWN = [
  'visit_in_future',
  'household_moved_out',
  'household_not_moved_in',
  'idempotency_key_reused',
  'location_outside_grids',
  'received_in_future',
  'transition_not_allowed',
  'note_required',
  'evaluation_required',
  'extension_days_required',
  'forbidden',
  'not_found',
] as const;
type Known = (typeof KNOWN)[number];

function allowedOf(details: unknown): IssueAction[] {
  const allowed = (details as { allowed?: unknown } | null)?.allowed;
  return Array.isArray(allowed) ? allowed.filter((a): a is IssueAction => (ISSUE_ACTIONS as readonly string[]).includes(a)) : [];
}

/** Why the server said no: a sentence in the interface's language, then the server's message as sent. */
export function Refusal({ error }: { error: Error | null }) {
  const { t } = useLocale();
  if (!error) return null;
  const api = error instanceof ApiRequestError ? error : null;
  const code = api && (KNOWN as readonly string[]).includes(api.code) ? (api.code as Known) : null;
  let headline = code ? t(`refusal_${code}`) : t('refusalOther');
  if (code === 'transition_not_allowed') {
    const allowed = allowedOf(api!.details);
    headline += ` ${allowed.length ? t('refusalAllowed', { actions: allowed.map((a) => t(`action_${a}`)).join('、') }) : t('refusalNothingAllowed')}`;
  }
  return (
    <div className="refusal" role="alert" data-testid="refusal" data-code={api?.code ?? 'error'}>
      <strong>{headline}</strong>
      <span className="server-message">{error.message}</span>
    </div>
  );
}

import { HOUSEHOLD_CATEGORIES, type HouseholdCategory } from '../../../geo/domain/household';
import { ISSUE_STATUSES, type IssueStatus } from '../../../geo/domain/issue';
import { ApiRequestError, type TimelineEntry, useTimeline } from '../api';
import { useLocale } from '../i18n/locale';
import { StatusChip } from '../issues/issue-board';
import { categoryLabel } from '../issues/labels';
import { formatChinaTime } from '../panels/format';

const isCategory = (c: string): c is HouseholdCategory => (HOUSEHOLD_CATEGORIES as readonly string[]).includes(c);
const isStatus = (s: string): s is IssueStatus => (ISSUE_STATUSES as readonly string[]).includes(s);

/**
 * One household's record, newest first: visits, matters it raised, and changes of its categories
 * (which change how often it must be visited). What the server masked stays masked here; the
 * matters open on their own page.
 */
export function HouseholdTimeline({ householdId, onOpenIssue }: { householdId: number; onOpenIssue(id: number): void }) {
  const { t } = useLocale();
  const timeline = useTimeline(householdId);
  if (timeline.isPending) return <p className="muted">{t('timelineLoading')}</p>;
  if (timeline.isError) {
    const gone = timeline.error instanceof ApiRequestError && timeline.error.status === 404;
    return (
      <p className="muted" role="alert">
        {gone ? t('timelineNotVisible') : t('timelineFailed', { message: timeline.error.message })}
      </p>
    );
  }
  const { entries } = timeline.data;
  if (entries.length === 0)
    return (
      <p className="muted" data-testid="timeline">
        {t('timelineEmpty')}
      </p>
    );
  return (
    <ol className="timeline" data-testid="timeline" aria-label={t('householdTimelineTitle')}>
      {entries.map((e) => (
        <li key={`${e.kind}-${e.id}`} className={`timeline-entry ${e.kind}`} data-kind={e.kind}>
          <time>{formatChinaTime(e.at)}</time>
          <EntryBody entry={e} onOpenIssue={onOpenIssue} />
        </li>
      ))}
    </ol>
  );
}

function EntryBody({ entry: e, onOpenIssue }: { entry: TimelineEntry; onOpenIssue(id: number): void }) {
  const { t } = useLocale();
  const categories = (cs: string[]) => cs.map((c) => (isCategory(c) ? t(`category_${c}`) : c)).join('、') || '—';
  switch (e.kind) {
    case 'visit':
      return (
        <div>
          <strong>
            {t(`visitMethod_${e.method}`)} · {t(`visitResult_${e.result}`)}
          </strong>
          <span className="muted"> {e.visitorName ?? ''}</span>
          {e.flaggedForReview && <span className="tag overdue">{t('timelineFlagged')}</span>}
          {e.notes && <p className="timeline-notes">{e.notes}</p>}
        </div>
      );
    case 'issue':
      return (
        <div>
          <button type="button" className="link" onClick={() => onOpenIssue(e.id)}>
            {t('issueTitle', { regNo: e.regNo })}
          </button>{' '}
          {isStatus(e.status) && <StatusChip status={e.status} />}
          <span className="muted"> {categoryLabel(t, e.category)}</span>
          <p className="timeline-notes">{e.description}</p>
        </div>
      );
    case 'categories':
      return (
        <div>
          <strong>{t('timelineCategoriesChanged')}</strong>
          <span className="muted"> {e.staffName ?? ''}</span>
          <p className="timeline-notes">
            {categories(e.oldCategories)} → {categories(e.newCategories)}
          </p>
        </div>
      );
  }
}

import { type FormEvent, useState } from 'react';
import { ISSUE_EVALUATIONS, ISSUE_STATUSES, ISSUE_TIERS, type IssueStatus, type IssueTier } from '../../../geo/domain/issue';
import { ISSUE_ACTIONS, type IssueAction } from '../../../geo/domain/issue.transitions';
import {
  ApiRequestError,
  type GridCollection,
  type IssueDetail,
  type IssueEvent,
  type TransitionRequest,
  useIssue,
  useTransitionIssue,
} from '../api';
import { FormActions } from '../fieldwork/form-parts';
import { useLocale } from '../i18n/locale';
import { Choice, optionsOf } from '../panels/choice';
import { FieldList } from '../panels/field-list';
import { formatChinaTime } from '../panels/format';
import { StatusChip } from './issue-board';
import { categoryLabel, complexityLabel, evaluationLabel } from './labels';

const isStatus = (s: unknown): s is IssueStatus => (ISSUE_STATUSES as readonly unknown[]).includes(s);
const isTier = (s: unknown): s is IssueTier => (ISSUE_TIERS as readonly unknown[]).includes(s);

/**
 * One matter: its registration fields (the reporter masked or not, as the server served them),
 * its timeline of immutable events, and the transitions this account may make now — the
 * server's `actions`, so a read-only role sees none.
 */
export function IssuePage({
  id,
  grids,
  onClose,
  onShowOnMap,
}: {
  id: number;
  grids: GridCollection;
  onClose(): void;
  onShowOnMap(point: [number, number]): void;
}) {
  const { t } = useLocale();
  const issue = useIssue(id);
  return (
    <section className="issue-page" data-testid="issue-page" aria-labelledby="issue-page-title">
      <header>
        <h2 id="issue-page-title">{issue.data ? t('issueTitle', { regNo: issue.data.regNo }) : t('issueHeading')}</h2>
        <button type="button" className="close" onClick={onClose} aria-label={t('panelClose')}>
          ×
        </button>
      </header>
      {issue.isPending ? (
        <p className="muted">{t('issuesLoading')}</p>
      ) : issue.isError ? (
        <p className="muted" role="alert" data-testid="issue-unavailable">
          {issue.error instanceof ApiRequestError && issue.error.status === 404
            ? t('issueNotVisible')
            : t('issuesFailed', { message: issue.error.message })}
        </p>
      ) : (
        <IssueBody issue={issue.data} grids={grids} onShowOnMap={onShowOnMap} />
      )}
    </section>
  );
}

function IssueBody({
  issue: i,
  grids,
  onShowOnMap,
}: {
  issue: IssueDetail;
  grids: GridCollection;
  onShowOnMap(p: [number, number]): void;
}) {
  const { t } = useLocale();
  const gridName = grids.features.find((f) => f.properties.id === i.gridId)?.properties.name ?? String(i.gridId);
  const rows: [string, string][] = [
    [t('issueCategoryLabel'), categoryLabel(t, i.category)],
    [t('complexityLabel'), complexityLabel(t, i.complexity)],
    [t('tierLabel'), t(`issueTier_${i.tier}`)],
    [t('gridLabel'), gridName],
    [t('receivedAtLabel'), formatChinaTime(i.receivedAt)],
    [t('dueLabel'), formatChinaTime(i.dueAt)],
  ];
  // An imported matter whose ledger number could not be kept: the paper files know it by that one.
  if (i.originalRegNo) rows.unshift([t('issueOriginalRegNoLabel'), i.originalRegNo]);
  if (i.importBatchId) rows.push([t('issueSourceLabel'), t('issueImported')]);
  if (i.originalDueAt) rows.push([t('originalDueLabel'), formatChinaTime(i.originalDueAt)]);
  if (i.extensionReason) rows.push([t('extensionReasonLabel'), i.extensionReason]);
  if (i.closedAt) rows.push([t('closedAtLabel'), formatChinaTime(i.closedAt)]);
  if (i.evaluation !== 'not_rated' || i.status === 'closed') rows.push([t('evaluationLabel'), evaluationLabel(t, i.evaluation)]);
  const reporter = (
    [
      [t('reporterName'), i.reporter.name],
      [t('reporterAddress'), i.reporter.address],
      [t('reporterWorkUnit'), i.reporter.workUnit],
      [t('reporterContact'), i.reporter.contact],
    ] as const
  ).map(([label, value]) => [label, value ?? '—'] as const);
  return (
    <>
      <div className="issue-status" data-testid="issue-status" data-status={i.status}>
        <StatusChip status={i.status} />
        {i.overdue && <span className="tag overdue">{t('overdueTag')}</span>}
        <button type="button" className="link" onClick={() => onShowOnMap(i.location)}>
          {t('showOnMap')}
        </button>
      </div>
      <p className="issue-description">{i.description}</p>
      <FieldList className="fields" rows={rows} />
      <h3>
        {t('reporterLegend')}
        {i.masked && <span className="tag masked-tag">{t('householdsMasked')}</span>}
      </h3>
      <FieldList className="fields reporter" data-testid="issue-reporter" data-masked={i.masked} rows={reporter} />
      {i.actions.length > 0 && <IssueActions issue={i} />}
      <h3>{t('timelineTitle', { n: i.events.length })}</h3>
      <ol className="timeline" data-testid="issue-timeline">
        {i.events.map((e) => (
          <TimelineEntry key={e.id} event={e} />
        ))}
      </ol>
    </>
  );
}

function TimelineEntry({ event: e }: { event: IssueEvent }) {
  const { t } = useLocale();
  const d = e.details as { fromTier?: unknown; toTier?: unknown; days?: unknown; evaluation?: unknown };
  const facts: string[] = [];
  if (e.from && e.from !== e.to && isStatus(e.from)) facts.push(`${t(`issueStatus_${e.from}`)} → ${t(`issueStatus_${e.to}`)}`);
  if (isTier(d.fromTier) && isTier(d.toTier)) facts.push(`${t(`issueTier_${d.fromTier}`)} → ${t(`issueTier_${d.toTier}`)}`);
  if (typeof d.days === 'number') facts.push(t('extendedBy', { n: d.days }));
  if (typeof d.evaluation === 'string') facts.push(`${t('evaluationLabel')}：${evaluationLabel(t, d.evaluation)}`);
  const kind = e.kind === 'registered' || (ISSUE_ACTIONS as readonly string[]).includes(e.kind) ? t(`event_${e.kind}`) : e.kind;
  return (
    <li data-kind={e.kind}>
      <div className="timeline-head">
        <strong>{kind}</strong>
        <time dateTime={e.at}>{formatChinaTime(e.at)}</time>
      </div>
      <div className="muted">{[e.actorName, ...facts].filter(Boolean).join(' · ')}</div>
      {e.note && <p className="timeline-note">{e.note}</p>}
    </li>
  );
}

/** The transitions on offer; each opens a short form for its note (and evaluation or days) before it is sent. */
function IssueActions({ issue }: { issue: IssueDetail }) {
  const { t } = useLocale();
  const [chosen, setChosen] = useState<IssueAction | null>(null);
  const transition = useTransitionIssue(issue.id);
  const [note, setNote] = useState('');
  const [evaluation, setEvaluation] = useState('');
  const [days, setDays] = useState('');

  function choose(a: IssueAction) {
    transition.reset();
    setChosen(a);
    setNote('');
    setEvaluation('');
    setDays('');
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    if (!chosen) return;
    // What each action needs is the server's rule (geo/domain/issue.transitions.ts): send what was
    // entered, and show its refusal if something is missing.
    const request: TransitionRequest = {
      to: chosen,
      ...(note.trim() ? { note: note.trim() } : {}),
      ...(chosen === 'closed' && evaluation ? { evaluation: evaluation as TransitionRequest['evaluation'] } : {}),
      ...(chosen === 'extended' && days.trim() ? { days: Number(days) } : {}),
    };
    transition.mutate(request, { onSuccess: () => setChosen(null) });
  }

  return (
    <div className="issue-actions" data-testid="issue-actions">
      <div className="action-buttons">
        {issue.actions.map((a) => (
          <button key={a} type="button" data-action={a} className={chosen === a ? 'active' : ''} onClick={() => choose(a)}>
            {t(`action_${a}`)}
          </button>
        ))}
      </div>
      {chosen && (
        <form className="action-form" onSubmit={submit} data-testid="action-form" data-action={chosen}>
          {chosen === 'closed' && (
            <Choice
              label={t('evaluationLabel')}
              name="evaluation"
              value={evaluation}
              onChange={setEvaluation}
              options={optionsOf(ISSUE_EVALUATIONS, (v) => t(`evaluation_${v}`))}
              empty={{ label: t('choose') }}
            />
          )}
          {chosen === 'extended' && (
            <label>
              <span>{t('extensionDaysLabel')}</span>
              <input
                type="number"
                name="days"
                inputMode="numeric"
                min={1}
                max={90}
                value={days}
                onChange={(e) => setDays(e.target.value)}
              />
            </label>
          )}
          <label>
            <span>{chosen === 'extended' ? t('extensionReasonLabel') : t('noteLabel')}</span>
            <textarea
              name="note"
              rows={2}
              maxLength={2000}
              value={note}
              onChange={(e) => setNote(e.target.value)}
              placeholder={t('notePlaceholder')}
            />
          </label>
          <FormActions
            error={transition.error}
            pending={transition.isPending}
            submitLabel={t('confirmAction', { action: t(`action_${chosen}`) })}
            onCancel={() => setChosen(null)}
          />
        </form>
      )}
    </div>
  );
}

import { useState } from 'react';
import { ISSUE_CATEGORIES, ISSUE_STATUSES, ISSUE_TIERS, type IssueStatus } from '../../../geo/domain/issue';
import { type GridCollection, type IssueListFilters, type IssueListItem, useIssues } from '../api';
import { useLocale } from '../i18n/locale';
import { OPEN_STATUSES } from '../map/issues.layers';
import { Choice, optionsOf } from '../panels/choice';
import { formatChinaTime } from '../panels/format';
import { categoryLabel } from './labels';

const LIMIT = 200;
type StatusChoice = 'open' | 'all' | IssueStatus;

const statusesOf = (c: StatusChoice): string[] => (c === 'open' ? [...OPEN_STATUSES] : c === 'all' ? [] : [c]);

/** 事项台账: the matters this account may see, newest first, with the board's filters. */
export function IssueBoard({
  grids,
  visibleGridIds,
  canRegister,
  onOpen,
  onRegister,
}: {
  grids: GridCollection;
  /** Grids offered in the grid filter: the account's visible scope (all of the street for street roles). */
  visibleGridIds: readonly number[] | null;
  canRegister: boolean;
  onOpen(id: number): void;
  onRegister(): void;
}) {
  const { t } = useLocale();
  const [status, setStatus] = useState<StatusChoice>('open');
  const [filters, setFilters] = useState<Omit<IssueListFilters, 'status'>>({ category: null, tier: null, overdue: null, gridId: null });
  const issues = useIssues({ ...filters, status: statusesOf(status) });
  const gridName = new Map(grids.features.map((f) => [f.properties.id, f.properties.name]));
  const gridChoices = grids.features.filter((f) => visibleGridIds === null || visibleGridIds.includes(f.properties.id));
  const set = (patch: Partial<typeof filters>) => setFilters((f) => ({ ...f, ...patch }));
  const list = issues.data?.issues ?? [];

  return (
    <section className="issue-board" data-testid="issue-board" aria-labelledby="issue-board-title">
      <header>
        <h2 id="issue-board-title">{t('issueBoardTitle')}</h2>
        {canRegister && (
          <button type="button" className="primary" onClick={onRegister}>
            {t('registerIssueHere')}
          </button>
        )}
      </header>
      <div className="board-filters">
        <Choice
          label={t('issueStatusLabel')}
          name="status"
          value={status}
          onChange={(v) => setStatus(v as StatusChoice)}
          options={[
            { value: 'open', label: t('statusOpen') },
            { value: 'all', label: t('all') },
            ...optionsOf(ISSUE_STATUSES, (x) => t(`issueStatus_${x}`)),
          ]}
        />
        <Choice
          label={t('issueCategoryLabel')}
          name="category"
          value={filters.category ?? ''}
          onChange={(v) => set({ category: v || null })}
          options={optionsOf(ISSUE_CATEGORIES, (c) => t(`issueCategory_${c}`))}
          empty={{ label: t('all') }}
        />
        <Choice
          label={t('tierLabel')}
          name="tier"
          value={filters.tier ?? ''}
          onChange={(v) => set({ tier: v || null })}
          options={optionsOf(ISSUE_TIERS, (x) => t(`issueTier_${x}`))}
          empty={{ label: t('all') }}
        />
        <Choice
          label={t('overdueLabel')}
          name="overdue"
          value={filters.overdue === null ? '' : String(filters.overdue)}
          onChange={(v) => set({ overdue: v === '' ? null : v === 'true' })}
          options={[
            { value: 'true', label: t('overdueOnly') },
            { value: 'false', label: t('notOverdue') },
          ]}
          empty={{ label: t('all') }}
        />
        <Choice
          label={t('gridLabel')}
          name="grid"
          value={filters.gridId === null ? '' : String(filters.gridId)}
          onChange={(v) => set({ gridId: v ? Number(v) : null })}
          options={gridChoices.map((g) => ({ value: String(g.properties.id), label: g.properties.name }))}
          empty={{ label: t('all') }}
        />
      </div>
      {issues.isError ? (
        <p className="muted" role="alert">
          {t('issuesFailed', { message: issues.error.message })}
        </p>
      ) : issues.isPending ? (
        <p className="muted">{t('issuesLoading')}</p>
      ) : (
        <>
          <p className="muted board-count" data-testid="issue-count">
            {list.length >= LIMIT ? t('issuesFirstN', { n: list.length }) : t('issuesCount', { n: list.length })}
          </p>
          <ol className="issue-list">
            {list.map((i) => (
              <IssueRow key={i.id} issue={i} gridName={gridName.get(i.gridId) ?? String(i.gridId)} onOpen={() => onOpen(i.id)} />
            ))}
          </ol>
        </>
      )}
    </section>
  );
}

function IssueRow({ issue: i, gridName, onOpen }: { issue: IssueListItem; gridName: string; onOpen(): void }) {
  const { t } = useLocale();
  return (
    <li data-issue-id={i.id} data-reg-no={i.regNo}>
      <button type="button" onClick={onOpen}>
        <span className="issue-row-head">
          <span className="reg-no">{i.regNo}</span>
          {i.originalRegNo && (
            <span className="muted" data-testid="original-reg-no">
              {t('issueOriginalRegNo', { regNo: i.originalRegNo })}
            </span>
          )}
          <StatusChip status={i.status} />
          {i.overdue && <span className="tag overdue">{t('overdueTag')}</span>}
        </span>
        <span className="issue-row-desc">{i.description}</span>
        <span className="issue-row-meta muted">
          {categoryLabel(t, i.category)} · {t(`issueTier_${i.tier}`)} · {gridName} ·{' '}
          {t('dueShort', { due: formatChinaTime(i.dueAt).slice(0, 10) })}
        </span>
      </button>
    </li>
  );
}

export function StatusChip({ status }: { status: IssueStatus }) {
  const { t } = useLocale();
  return (
    <span className={`status-chip ${status}`} data-status={status}>
      {t(`issueStatus_${status}`)}
    </span>
  );
}

import { useState } from 'react';
import { VISIT_METHODS, VISIT_RESULTS } from '../../../geo/domain/household';
import { useDiary } from '../api';
import { useLocale } from '../i18n/locale';
import { formatChinaTime } from '../panels/format';

/**
 * The signed-in worker's 民情日记: the visits they logged on a day or in a month, with the day's
 * tally (how many households, by method and result, how many await review) — what a grid worker
 * shows at the monthly meeting instead of a paper diary.
 */
export function DiaryPage({ today, onClose }: { today: string; onClose(): void }) {
  const { t } = useLocale();
  const [by, setBy] = useState<'date' | 'month'>('date');
  const [date, setDate] = useState(today);
  const [month, setMonth] = useState(today.slice(0, 7));
  const diary = useDiary(by === 'date' ? date : month);
  return (
    <section className="diary-page" data-testid="diary-page" aria-labelledby="diary-title">
      <header>
        <h2 id="diary-title">{t('diaryTitle')}</h2>
        <button type="button" className="close" onClick={onClose} aria-label={t('panelClose')}>
          ×
        </button>
      </header>
      <div className="diary-period">
        <select value={by} onChange={(e) => setBy(e.target.value as 'date' | 'month')} aria-label={t('diaryPeriod')}>
          <option value="date">{t('diaryByDay')}</option>
          <option value="month">{t('diaryByMonth')}</option>
        </select>
        {by === 'date' ? (
          <input
            type="date"
            value={date}
            max={today}
            onChange={(e) => e.target.value && setDate(e.target.value)}
            aria-label={t('diaryByDay')}
          />
        ) : (
          <input
            type="month"
            value={month}
            max={today.slice(0, 7)}
            onChange={(e) => e.target.value && setMonth(e.target.value)}
            aria-label={t('diaryByMonth')}
          />
        )}
      </div>
      {diary.isError && (
        <p className="muted" role="alert">
          {t('diaryFailed', { message: diary.error.message })}
        </p>
      )}
      {diary.data && (
        <>
          <p data-testid="diary-tally">
            {t('diaryTally', { visits: diary.data.total, households: diary.data.households })}
            {' · '}
            {VISIT_METHODS.filter((m) => diary.data.byMethod[m] > 0)
              .map((m) => `${t(`visitMethod_${m}`)} ${diary.data.byMethod[m]}`)
              .join('、')}
            {VISIT_RESULTS.filter((r) => r !== 'met' && diary.data.byResult[r] > 0).map(
              (r) => ` · ${t(`visitResult_${r}`)} ${diary.data.byResult[r]}`,
            )}
            {diary.data.flagged > 0 && ` · ${t('diaryFlagged', { n: diary.data.flagged })}`}
          </p>
          {diary.data.visits.length === 0 ? (
            <p className="muted">{t('diaryEmpty')}</p>
          ) : (
            <ol className="timeline" data-testid="diary-visits">
              {diary.data.visits.map((v) => (
                <li key={v.id} className="timeline-entry visit">
                  <time>{formatChinaTime(v.visitedAt)}</time>
                  <div>
                    <strong>{[v.address, v.unit, v.room].filter(Boolean).join(' ') || '—'}</strong>
                    <span className="muted">
                      {' '}
                      {t(`visitMethod_${v.method}`)} · {t(`visitResult_${v.result}`)}
                      {v.durationMin !== null && ` · ${t('diaryMinutes', { n: v.durationMin })}`}
                    </span>
                    {v.flaggedForReview && <span className="tag overdue">{t('timelineFlagged')}</span>}
                    {v.notes && <p className="timeline-notes">{v.notes}</p>}
                  </div>
                </li>
              ))}
            </ol>
          )}
        </>
      )}
    </section>
  );
}

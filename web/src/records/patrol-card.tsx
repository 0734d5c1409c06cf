import { useEffect, useState } from 'react';
import {
  type Patrol,
  useIssueIndicators,
  useOpenPatrol,
  usePatrolCompliance,
  useStartPatrol,
  useStopPatrol,
  useVisitIndicators,
} from '../api';
import { Refusal } from '../fieldwork/refusal';
import { useLocale } from '../i18n/locale';
import { FieldList } from '../panels/field-list';

const trackKey = (patrolId: number) => `minqing.patrol.${patrolId}.track`;

/**
 * The patrol's GPS track, collected while the walk is under way and kept in localStorage so a
 * reload in the middle of a walk loses nothing. Only ever sent with the stop; a browser without
 * geolocation (or one that refuses it) stops the patrol without a track.
 */
function useTrack(patrol: Patrol | null | undefined) {
  const id = patrol && patrol.endedAt === null ? patrol.id : null;
  useEffect(() => {
    if (id === null || !('geolocation' in navigator) || !window.isSecureContext) return;
    const watch = navigator.geolocation.watchPosition(
      (p) => {
        const points = JSON.parse(localStorage.getItem(trackKey(id)) ?? '[]') as [number, number][];
        const point: [number, number] = [Math.round(p.coords.longitude * 1e7) / 1e7, Math.round(p.coords.latitude * 1e7) / 1e7];
        const last = points.at(-1);
        if (!last || last[0] !== point[0] || last[1] !== point[1]) localStorage.setItem(trackKey(id), JSON.stringify([...points, point]));
      },
      () => undefined,
      { enableHighAccuracy: true, maximumAge: 10_000 },
    );
    return () => navigator.geolocation.clearWatch(watch);
  }, [id]);
  return (patrolId: number) => {
    const points = JSON.parse(localStorage.getItem(trackKey(patrolId)) ?? '[]') as [number, number][];
    return points.length >= 2 ? { type: 'LineString' as const, coordinates: points } : undefined;
  };
}

function useMinutesSince(startedAt: string | null): number | null {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!startedAt) return;
    const timer = setInterval(() => setNow(Date.now()), 15_000);
    return () => clearInterval(timer);
  }, [startedAt]);
  return startedAt ? Math.max(0, Math.floor((now - Date.parse(startedAt)) / 60_000)) : null;
}

/**
 * The grid's daily patrol (巡查, at least the policy's minutes a day): start and stop for the
 * grid's own team, and for everyone who may see the grid, this month's days met.
 */
export function PatrolCard({ gridId, month, canPatrol }: { gridId: number; month: string; canPatrol: boolean }) {
  const { t } = useLocale();
  const open = useOpenPatrol(canPatrol);
  const compliance = usePatrolCompliance(gridId, month, true);
  const start = useStartPatrol();
  const stop = useStopPatrol();
  const trackOf = useTrack(open.data);
  const patrol = open.data ?? null;
  const minutes = useMinutesSince(patrol?.startedAt ?? null);
  const here = patrol?.gridId === gridId;
  // A 403 means the grid is not the caller's to see: the card has nothing to say then.
  if (compliance.isError && !canPatrol) return null;
  return (
    <section className="patrol-card" data-testid="patrol-card" aria-labelledby="patrol-title">
      <h3 id="patrol-title">{t('patrolTitle')}</h3>
      {compliance.data && (
        <>
          <p className="muted" data-testid="patrol-days-met">
            {t('patrolDaysMet', { met: compliance.data.daysMet, judged: compliance.data.daysJudged })}
          </p>
          <ol className="patrol-days" aria-label={t('patrolDaysLabel')}>
            {compliance.data.days.map((d) => (
              <li
                key={d.date}
                data-met={d.met === null ? 'future' : String(d.met)}
                title={`${d.date} · ${t('patrolMinutes', { n: d.minutes, required: d.requiredMinutes })}`}
              >
                {Number(d.date.slice(8))}
              </li>
            ))}
          </ol>
        </>
      )}
      {canPatrol && (
        <div className="patrol-actions">
          {patrol && here ? (
            <>
              <span data-testid="patrol-running">{t('patrolRunning', { n: minutes ?? 0 })}</span>
              <button
                type="button"
                className="primary"
                disabled={stop.isPending}
                onClick={() => {
                  const track = trackOf(patrol.id);
                  stop.mutate({ id: patrol.id, track }, { onSuccess: () => localStorage.removeItem(trackKey(patrol.id)) });
                }}
              >
                {t('patrolStop')}
              </button>
            </>
          ) : patrol ? (
            <span className="muted">{t('patrolElsewhere')}</span>
          ) : (
            <button type="button" className="primary" disabled={start.isPending || open.isPending} onClick={() => start.mutate(gridId)}>
              {t('patrolStart')}
            </button>
          )}
        </div>
      )}
      {stop.data?.flaggedForReview && <p className="tag overdue">{t('patrolFlagged')}</p>}
      <Refusal error={start.error ?? stop.error} />
    </section>
  );
}

/** The grid's month: 办结率, 按期办结率, 群众满意率 of its matters, and 按期走访率 (docs/metrics.md). */
export function GridIssueIndicators({ gridId, month, today }: { gridId: number; month: string; today: string }) {
  const { t } = useLocale();
  const from = `${month}-01`;
  const indicators = useIssueIndicators(gridId, from, today);
  const visits = useVisitIndicators(gridId, from, today);
  if (!indicators.data) return null;
  const { counts, rates } = indicators.data;
  const v = visits.data;
  const pct = (r: number | null) => (r === null ? '—' : `${(r * 100).toFixed(1)}%`);
  return (
    <section className="grid-indicators" data-testid="grid-indicators" aria-labelledby="indicators-title">
      <h3 id="indicators-title">{t('indicatorsTitle', { month })}</h3>
      <FieldList
        rows={[
          [t('indicatorRegistered'), String(counts.registered)],
          [t('indicatorClosure'), `${pct(rates.closure)} (${counts.closed}/${counts.registered})`],
          [t('indicatorOnTime'), `${pct(rates.onTimeClosure)} (${counts.closedOnTime}/${counts.closed})`],
          [t('indicatorSatisfaction'), `${pct(rates.satisfaction)} (${counts.satisfied}/${counts.rated})`],
          ...(v ? [[t('indicatorOnTimeVisits'), `${pct(v.rates.onTimeVisits)} (${v.counts.onTime}/${v.counts.due})`] as const] : []),
        ]}
      />
    </section>
  );
}

import { METRICS, type MetricId } from '../../../geo/metrics/legend';
import { useLocale } from '../i18n/locale';
import { recentMonthEnds } from './format';

interface Props {
  metric: MetricId;
  onMetric(m: MetricId): void;
  asOf: string | null;
  /** Today in China, from the server's answer; the date picker's upper bound. */
  today: string | null;
  onAsOf(d: string | null): void;
}

export function MetricBar({ metric, onMetric, asOf, today, onAsOf }: Props) {
  const { t } = useLocale();
  const monthEnds = today ? recentMonthEnds(today, 12) : [];
  return (
    <div className="metric-bar" role="toolbar" aria-label={t('metricLabel')}>
      <div className="metric-buttons" role="radiogroup" aria-label={t('metricLabel')}>
        {METRICS.map((m) => (
          // biome-ignore lint/a11y/useSemanticElements: a segmented control, one button a metric, in a radiogroup.
          <button
            key={m}
            type="button"
            role="radio"
            aria-checked={m === metric}
            className={m === metric ? 'active' : ''}
            data-metric={m}
            onClick={() => onMetric(m)}
          >
            {t(`metric_${m}`)}
          </button>
        ))}
      </div>
      <label className="as-of">
        <span>{t('asOfLabel')}</span>
        <input
          type="date"
          data-testid="as-of"
          value={asOf ?? today ?? ''}
          max={today ?? undefined}
          onChange={(e) => onAsOf(e.target.value && e.target.value !== today ? e.target.value : null)}
        />
        <select
          aria-label={t('monthEnd')}
          value={monthEnds.includes(asOf ?? '') ? asOf! : ''}
          onChange={(e) => onAsOf(e.target.value || null)}
        >
          <option value="">{t('asOfToday')}</option>
          {monthEnds.map((d) => (
            <option key={d} value={d}>
              {d.slice(0, 7)} {t('monthEnd')}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}

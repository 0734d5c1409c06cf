import { BAND_COLORS, METRIC_SPECS, type MetricId } from '../../../geo/metrics/legend';
import type { GridCollection, GridStats } from '../api';
import { useLocale } from '../i18n/locale';
import { formatMetric } from './format';

interface Props {
  metric: MetricId;
  stats: GridStats[];
  grids: GridCollection;
  selected: number | null;
  onPick(id: number): void;
}

/** Grids worst-first by the current metric (attention breaks ties); a click flies to the grid. */
export function RankingPanel({ metric, stats, grids, selected, onPick }: Props) {
  const { t } = useLocale();
  const names = new Map(grids.features.map((f) => [f.properties.id, f.properties.name]));
  const worse = METRIC_SPECS[metric].higherIsBetter ? 1 : -1;
  const ranked = [...stats].sort((a, b) => {
    const va = a[metric] ?? (worse > 0 ? Infinity : -Infinity);
    const vb = b[metric] ?? (worse > 0 ? Infinity : -Infinity);
    return (va - vb) * worse || b.attention - a.attention;
  });
  return (
    <section className="ranking" aria-label={t('rankingTitle')} data-testid="ranking">
      <h3>{t('rankingTitle')}</h3>
      <ol>
        {ranked.map((s) => (
          <li key={s.id}>
            <button type="button" className={s.id === selected ? 'active' : ''} onClick={() => onPick(s.id)}>
              <span className="swatch" style={{ background: BAND_COLORS[s.bands[metric]] }} />
              <span className="rank-name">{names.get(s.id) ?? s.id}</span>
              <span className="rank-value">{formatMetric(metric, s[metric])}</span>
            </button>
          </li>
        ))}
      </ol>
    </section>
  );
}

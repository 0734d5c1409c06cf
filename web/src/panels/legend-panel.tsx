import type { BandOrNone, MetricId } from '../../../geo/metrics/legend';
import type { GridStats, Legend } from '../api';
import { useLocale } from '../i18n/locale';
import { formatMetric } from './format';

interface Props {
  legend: Legend;
  metric: MetricId;
  stats: GridStats[];
  highlighted: BandOrNone | null;
  onHighlight(band: BandOrNone | null): void;
}

/** The legend counts grids per band; clicking a band highlights those grids on the map. */
export function LegendPanel({ legend, metric, stats, highlighted, onHighlight }: Props) {
  const { t, locale } = useLocale();
  const spec = legend.metrics.find((m) => m.id === metric);
  if (!spec) return null;
  const range = (min: number | null, max: number | null) =>
    min === null && max === null ? '' : `${formatMetric(metric, min ?? 0)} – ${max === null ? '' : formatMetric(metric, max)}`;
  return (
    <section className="legend" aria-label={t('legendTitle')} data-testid="legend">
      <h3>
        {t('legendTitle')} · {spec.labels[locale]}
      </h3>
      <ul>
        {spec.bands.map((band) => {
          const count = stats.filter((s) => s.bands[metric] === band.id).length;
          const active = highlighted === band.id;
          return (
            <li key={band.id}>
              <button
                type="button"
                className={`band ${active ? 'active' : ''}`}
                data-band={band.id}
                aria-pressed={active}
                onClick={() => onHighlight(active ? null : band.id)}
              >
                <span className="swatch" style={{ background: band.color }} />
                <span className="band-label">{band.labels[locale]}</span>
                <span className="band-range">{range(band.min, band.max)}</span>
                <span className="band-count">{t('gridsInBand', { n: count })}</span>
              </button>
            </li>
          );
        })}
      </ul>
      <ul className="legend-static">
        <li>
          <span className="swatch line community" />
          {t('legendCommunity')}
        </li>
        <li>
          <span className="swatch line grid" />
          {t('legendGrid')}
        </li>
      </ul>
    </section>
  );
}

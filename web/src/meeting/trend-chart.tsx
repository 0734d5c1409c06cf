import { formatKpi, KPI_IS_SHARE, type KpiId } from '../../../geo/report/kpis';
import { PALETTE } from '../../../geo/style/palette';

interface Props {
  kpi: KpiId;
  label: string;
  points: Array<{ month: string; value: number | null }>;
}

/** One KPI over twelve months as a plain SVG line: readable from the back of the room, no chart library. */
export function TrendChart({ kpi, label, points }: Props) {
  const w = 420;
  const h = 200;
  const pad = { l: 12, r: 12, t: 44, b: 28 };
  const values = points.map((p) => p.value).filter((v): v is number => v !== null);
  // Shares on a scale from a round tenth below their lowest to 100 %; counts from 0.
  const max = KPI_IS_SHARE[kpi] ? 1 : Math.max(1, ...values);
  const min = KPI_IS_SHARE[kpi] ? Math.max(0, Math.floor((Math.min(1, ...values) - 0.05) * 10) / 10) : 0;
  const x = (i: number) => pad.l + (i * (w - pad.l - pad.r)) / Math.max(1, points.length - 1);
  const y = (v: number) => pad.t + (1 - (v - min) / (max - min || 1)) * (h - pad.t - pad.b);
  let d = '';
  points.forEach((p, i) => {
    if (p.value === null) return;
    d += `${d === '' || points[i - 1]?.value == null ? 'M' : 'L'}${x(i).toFixed(1)} ${y(p.value).toFixed(1)}`;
  });
  const last = points.at(-1);
  return (
    <svg className="trend-chart" viewBox={`0 0 ${w} ${h}`} role="img" aria-label={label} data-testid="trend-chart">
      <text x={pad.l} y={20} className="trend-title">
        {label}
      </text>
      <text x={w - pad.r} y={20} className="trend-value" textAnchor="end">
        {formatKpi(kpi, last?.value ?? null)}
      </text>
      <line x1={pad.l} x2={w - pad.r} y1={y(min)} y2={y(min)} stroke={PALETTE.grey60} />
      {/* The scale's floor and ceiling, so a flat-looking line is not misread. */}
      <text x={w - pad.r} y={y(min) - 4} className="trend-axis" textAnchor="end">
        {formatKpi(kpi, min)}
      </text>
      <text x={w - pad.r} y={y(max) + 12} className="trend-axis" textAnchor="end">
        {formatKpi(kpi, max)}
      </text>
      <path d={d} fill="none" stroke={PALETTE.blue950} strokeWidth={4} strokeLinejoin="round" />
      {points.map((p, i) =>
        p.value === null ? null : (
          <circle key={p.month} cx={x(i)} cy={y(p.value)} r={i === points.length - 1 ? 7 : 4} fill={PALETTE.blue950} />
        ),
      )}
      <text x={pad.l} y={h - 6} className="trend-axis">
        {points[0]?.month}
      </text>
      <text x={w - pad.r} y={h - 6} className="trend-axis" textAnchor="end">
        {last?.month}
      </text>
    </svg>
  );
}

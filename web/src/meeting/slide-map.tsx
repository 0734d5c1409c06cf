import { useMemo } from 'react';
import type { BandOrNone } from '../../../geo/metrics/legend';
import { BAND_COLORS } from '../../../geo/metrics/legend';
import { gridLabelLines } from '../../../geo/report/grid-label';
import { projectAreas } from '../../../geo/report/map-projection';
import { PALETTE } from '../../../geo/style/palette';
import type { GridCollection } from '../api';
import { useLocale } from '../i18n/locale';
import type { MonthlyReportJson } from './meeting-view';

interface Props {
  /** The boundaries in force at the date the map shows (GET /api/grids?asOf=), not today's. */
  grids: GridCollection;
  report: MonthlyReportJson;
  /** Each grid's coverage band to paint: the grids drawn are those listed here (the scope at that date). */
  bands: Map<number, BandOrNone>;
  /** Printed on the map: the date and scope it shows. */
  caption: string;
  width?: number;
  height?: number;
  legend?: boolean;
}

/**
 * The printed map: grids coloured by coverage band, with legend, scale bar, north arrow, date
 * and scope drawn into the picture itself (a photo of the projector still says what it shows).
 * The same projection draws the PDF's map (api/reports/monthly-pdf.ts). Grid names are printed on
 * the full map only: side by side they would cover the colours.
 */
export function SlideMap({ grids, report, bands, caption, width = 1000, height = 620, legend = true }: Props) {
  const { t, locale } = useLocale();
  const features = useMemo(
    () => grids.features.filter((f) => bands.has(f.properties.id)).map((f) => ({ id: f.properties.id, geometry: f.geometry })),
    [grids, bands],
  );
  const mapBox = useMemo(() => ({ x: 0, y: 40, width: legend ? width * 0.72 : width, height: height - 80 }), [legend, width, height]);
  const map = useMemo(() => projectAreas(features, mapBox), [features, mapBox]);
  const names = useMemo(() => new Map(report.grids.map((g) => [g.id, g.name])), [report]);
  const sb = map.scaleBar;
  return (
    <div className="map-frame">
      <svg className="slide-map" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={caption} data-testid="slide-map">
        <rect x={0} y={0} width={width} height={height} fill={PALETTE.white} />
        <text x={8} y={28} className="map-caption">
          {caption}
        </text>
        {map.areas.map((a) => (
          <path
            key={a.id}
            d={a.path}
            fill={BAND_COLORS[bands.get(a.id) ?? 'none']}
            stroke={PALETTE.grey13}
            strokeWidth={1.2}
            fillRule="evenodd"
            data-grid={a.id}
            data-band={bands.get(a.id) ?? 'none'}
          />
        ))}
        {legend &&
          map.areas.map((a) => (
            <text key={`l${a.id}`} x={a.label[0]} y={a.label[1]} className="map-label" textAnchor="middle" dominantBaseline="middle">
              {gridLabelLines(names.get(a.id) ?? '').map((line, i, lines) => (
                // Centred on the label point: the first line half the block's height above it.
                // biome-ignore lint/suspicious/noArrayIndexKey: a label's lines are its text split in order.
                <tspan key={i} x={a.label[0]} dy={i === 0 ? `${-(lines.length - 1) * 0.6}em` : '1.2em'}>
                  {line}
                </tspan>
              ))}
            </text>
          ))}
        {/* North arrow, top right of the map */}
        <g transform={`translate(${mapBox.width - 30}, 70)`}>
          <path d="M0 -22 L10 10 L0 4 L-10 10 Z" fill={PALETTE.nearBlack} />
          <text x={0} y={30} textAnchor="middle" className="map-north">
            {t('meeting_north')}
          </text>
        </g>
        {/* Scale bar, bottom left */}
        <g transform={`translate(16, ${height - 24})`}>
          <rect x={0} y={-8} width={sb.length / 2} height={8} fill={PALETTE.nearBlack} />
          <rect x={sb.length / 2} y={-8} width={sb.length / 2} height={8} fill={PALETTE.white} stroke={PALETTE.nearBlack} />
          <text x={sb.length + 8} y={0} className="map-scale">
            {sb.label}
          </text>
        </g>
        {legend && (
          <g transform={`translate(${width * 0.74}, 80)`} data-testid="slide-legend">
            <text x={0} y={0} className="map-legend-title">
              {report.coverageLegend.labels[locale]}
            </text>
            {report.coverageLegend.bands.map((b, i) => {
              const range = b.min === null && b.max === null ? '' : `${Math.round((b.min ?? 0) * 100)}–${Math.round((b.max ?? 1) * 100)}%`;
              const count = report.grids.filter((g) => g.bands.coverage === b.id).length;
              return (
                <g key={b.id} transform={`translate(0, ${24 + i * 44})`}>
                  <rect x={0} y={0} width={36} height={30} fill={b.color} stroke={PALETTE.grey13} />
                  <text x={46} y={21} className="map-legend">
                    {b.labels[locale]} {range} · {count}
                  </text>
                </g>
              );
            })}
          </g>
        )}
      </svg>
    </div>
  );
}

/**
 * The map slide as a PNG (2× for print): the SVG on screen, its CSS text styles inlined (an SVG
 * drawn as an image sees no stylesheet), drawn on a canvas. Same picture, same data.
 */
export async function downloadMapPng(svg: SVGSVGElement, fileName: string): Promise<void> {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  const originals = svg.querySelectorAll('text');
  copy.querySelectorAll('text').forEach((el, i) => {
    const cs = getComputedStyle(originals[i]!);
    el.setAttribute(
      'style',
      `font-family:${cs.fontFamily};font-size:${cs.fontSize};font-weight:${cs.fontWeight};fill:${cs.fill};stroke:${cs.stroke};stroke-width:${cs.strokeWidth};paint-order:${cs.paintOrder}`,
    );
  });
  const [, , w, h] = (svg.getAttribute('viewBox') ?? '0 0 1000 620').split(' ').map(Number) as [number, number, number, number];
  copy.setAttribute('width', String(w * 2));
  copy.setAttribute('height', String(h * 2));
  const url = URL.createObjectURL(new Blob([new XMLSerializer().serializeToString(copy)], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    await new Promise<void>((resolve, reject) => {
      img.onload = () => resolve();
      img.onerror = () => reject(new Error('the map could not be drawn'));
      img.src = url;
    });
    const canvas = document.createElement('canvas');
    canvas.width = w * 2;
    canvas.height = h * 2;
    canvas.getContext('2d')!.drawImage(img, 0, 0);
    const png = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
    if (!png) return;
    const a = document.createElement('a');
    a.href = URL.createObjectURL(png);
    a.download = fileName;
    a.click();
    URL.revokeObjectURL(a.href);
  } finally {
    URL.revokeObjectURL(url);
  }
}

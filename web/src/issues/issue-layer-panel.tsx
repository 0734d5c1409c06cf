import { ISSUE_CATEGORIES, ISSUE_STATUSES, ISSUE_TIERS, type IssueCategory, type IssueTier } from '../../../geo/domain/issue';
import { useLocale } from '../i18n/locale';
import { countStages, ISSUE_STAGES, type IssuePinFilter } from '../map/issues.layers';
import { LIGHT_THEME } from '../map/map.theme';
import { Choice, optionsOf } from '../panels/choice';

/** The issue layer's switch, filters and legend (pins per deadline stage among those shown). */
export function IssueLayerPanel({
  shown,
  onShown,
  filter,
  onFilter,
  pins,
}: {
  shown: boolean;
  onShown(on: boolean): void;
  filter: IssuePinFilter;
  onFilter(f: IssuePinFilter): void;
  /** The pins that pass the filter. */
  pins: Parameters<typeof countStages>[0] | null;
}) {
  const { t } = useLocale();
  const counts = pins ? countStages(pins) : null;
  const toggleStatus = (s: (typeof ISSUE_STATUSES)[number]) =>
    onFilter({ ...filter, statuses: filter.statuses.includes(s) ? filter.statuses.filter((x) => x !== s) : [...filter.statuses, s] });
  return (
    <section className="issue-layer" data-testid="issue-layer" aria-labelledby="issue-layer-title">
      <h3 id="issue-layer-title">
        <label className="check">
          <input type="checkbox" name="show-issues" checked={shown} onChange={(e) => onShown(e.target.checked)} />
          {t('issueLayerTitle')}
          {pins && <span className="muted">（{pins.features.length}）</span>}
        </label>
      </h3>
      {shown && (
        <>
          {/* biome-ignore lint/a11y/useSemanticElements: toggle chips, not a form section */}
          <div className="status-toggles" role="group" aria-label={t('issueStatusLabel')}>
            {ISSUE_STATUSES.map((s) => (
              <button key={s} type="button" aria-pressed={filter.statuses.includes(s)} data-status={s} onClick={() => toggleStatus(s)}>
                {t(`issueStatus_${s}`)}
              </button>
            ))}
          </div>
          <div className="layer-filters">
            <Choice
              bare
              label={t('issueCategoryLabel')}
              name="pin-category"
              value={filter.category ?? ''}
              onChange={(v) => onFilter({ ...filter, category: (v || null) as IssueCategory | null })}
              options={optionsOf(ISSUE_CATEGORIES, (c) => t(`issueCategory_${c}`))}
              empty={{ label: t('allCategories') }}
            />
            <Choice
              bare
              label={t('tierLabel')}
              name="pin-tier"
              value={filter.tier ?? ''}
              onChange={(v) => onFilter({ ...filter, tier: (v || null) as IssueTier | null })}
              options={optionsOf(ISSUE_TIERS, (x) => t(`issueTier_${x}`))}
              empty={{ label: t('allTiers') }}
            />
          </div>
          <ul className="stage-legend" data-testid="issue-legend">
            {ISSUE_STAGES.map((s) => (
              <li key={s} data-stage={s}>
                <span className="pin-swatch" style={{ background: LIGHT_THEME.issueStage[s] }} />
                <span>{t(`stage_${s}`)}</span>
                <span className="band-count">{counts ? counts[s] : '—'}</span>
              </li>
            ))}
          </ul>
          <p className="muted small">{t('issueLayerHint')}</p>
        </>
      )}
    </section>
  );
}

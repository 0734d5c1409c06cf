import type { GridCollection } from '../api';
import { useLocale } from '../i18n/locale';

type GridProperties = GridCollection['features'][number]['properties'];

export function GridPanel({ grid, onClose }: { grid: GridProperties | null; onClose(): void }) {
  const { t } = useLocale();
  if (!grid) return <p className="panel-hint">{t('panelHint')}</p>;
  const rows: [string, string][] = [
    [t('fieldCode'), grid.code],
    [t('fieldCommunity'), grid.communityName],
    [t('fieldLeader'), grid.leader ?? t('noLeader')],
    [t('fieldHouseholds'), t('householdCount', { n: grid.households })],
    [t('fieldVersion'), `v${grid.version}`],
  ];
  return (
    <section className="grid-panel" aria-label={grid.name} data-testid="grid-panel">
      <header>
        <h2>{grid.name}</h2>
        <button type="button" onClick={onClose} aria-label={t('panelClose')}>
          ×
        </button>
      </header>
      <dl>
        {rows.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

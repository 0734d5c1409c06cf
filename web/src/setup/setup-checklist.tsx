/**
 * The street leader's getting-started list, over the side panel until every step is done:
 * communities → grids → buildings → staff → households → history. Each step says how many there
 * are and opens the screen that brings them in (an import, or the staff screen).
 */
import { useLocale } from '../i18n/locale';
import { useSetupChecklist } from './setup-api';

export type ChecklistTarget = { import: string } | { staff: true };

/** Where each step is done; history starts with the visit ledger (the matters ledger sits beside it in the wizard). */
const TARGETS: Record<string, ChecklistTarget> = {
  communities: { import: 'communities' },
  grids: { import: 'grids' },
  buildings: { import: 'buildings' },
  staff: { staff: true },
  households: { import: 'households' },
  history: { import: 'visits' },
};

interface Props {
  enabled: boolean;
  /** Opens a step's screen; a step whose screen this account lacks gets no button. */
  canOpen: (target: ChecklistTarget) => boolean;
  onOpen: (target: ChecklistTarget) => void;
}

export function SetupChecklist({ enabled, canOpen, onOpen }: Props) {
  const { t } = useLocale();
  const checklist = useSetupChecklist(enabled);
  if (!checklist.data || checklist.data.done) return null;
  return (
    <section className="setup-checklist" aria-labelledby="checklist-title" data-testid="setup-checklist">
      <h2 id="checklist-title">{t('checklist_title')}</h2>
      <p className="muted">{t('checklist_intro')}</p>
      <ol>
        {checklist.data.steps.map(({ step, count, done }) => {
          const target = TARGETS[step]!;
          return (
            <li key={step} className={done ? 'done' : undefined} data-step={step}>
              <span className="step-name">{t(`checklist_step_${step}`)}</span>
              <span className="step-count">
                {done ? `${t('checklist_done')} · ${t('checklist_count', { n: count })}` : t('checklist_count', { n: count })}
              </span>
              {canOpen(target) ? (
                <button type="button" onClick={() => onOpen(target)}>
                  {'staff' in target ? t('checklist_goStaff') : t('checklist_go')}
                </button>
              ) : (
                // Buildings and the ledgers hold a community's people: its own staff bring them in.
                !done && <span className="step-hint">{t('checklist_byCommunity')}</span>
              )}
            </li>
          );
        })}
      </ol>
    </section>
  );
}

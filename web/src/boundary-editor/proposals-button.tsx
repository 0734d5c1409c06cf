/**
 * The header's way to the proposals screen, with a badge: for community staff the pending
 * proposals they decide, for a grid leader the pending ones they made or that take from their
 * grid. Shown to those who take part in proposals, and to anyone a pending one concerns.
 */
import type { Me } from '../api';
import { useLocale } from '../i18n/locale';
import { useProposalSummary } from './proposals-api';

export function ProposalsButton({ me, onOpen }: { me: Me | undefined; onOpen(): void }) {
  const { t } = useLocale();
  const role = me?.staff?.role;
  const summary = useProposalSummary(!!me?.staff);
  const n = role === 'community_staff' ? (summary.data?.toDecide ?? 0) : (summary.data?.concerningMe ?? 0);
  if (role !== 'community_staff' && role !== 'grid_leader' && n === 0) return null;
  return (
    <button
      type="button"
      className="toggle proposals-button"
      data-testid="open-proposals"
      onClick={onOpen}
      aria-label={n > 0 ? `${t('proposals_open')} · ${t('proposals_badge', { n })}` : t('proposals_open')}
    >
      {t('proposals_open')}
      {n > 0 && (
        <span className="badge" data-testid="proposals-badge" title={t('proposals_badge', { n })}>
          {n}
        </span>
      )}
    </button>
  );
}

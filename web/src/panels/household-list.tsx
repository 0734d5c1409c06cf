import { type FormEvent, type ReactNode, useState } from 'react';
import { HOUSEHOLD_CLASSIFICATIONS, type HouseholdClassification } from '../../../geo/domain/household';
import { ApiRequestError, type Household, type Me, useHouseholds, useOverdue, useRevealHousehold } from '../api';
import { usePresentation } from '../auth/presentation';
import { useLocale } from '../i18n/locale';
import { HouseholdTimeline } from '../records/household-timeline';

/** Where a household lives, as one line: address, unit, room. */
export const householdPlace = (h: Pick<Household, 'address' | 'unit' | 'room'>) => [h.address, h.unit, h.room].filter(Boolean).join(' ');

/** What the list can start for a household: field work, offered when the account may log it. */
export interface HouseholdActions {
  onLogVisit(h: Household): void;
  onRegisterIssue(h: Household): void;
  /** Opens one of the household's matters (from its record). */
  onOpenIssue(id: number): void;
}

/**
 * A grid's households as the server serves them to this account: masked or not is the
 * database's decision, never the browser's. Unmasking one is a separate, audited request with a
 * reason; its answer lives only in this component, so it is gone when the grid changes.
 * Overdue households (the mop-up list as of the map's date) are marked and can be shown alone;
 * a building clicked on the map narrows the list to its households.
 */
export function HouseholdList({
  gridId,
  can,
  asOf,
  building,
  onClearBuilding,
  actions,
}: {
  gridId: number;
  can: Me['can'];
  asOf: string | null;
  building: { id: number; address: string } | null;
  onClearBuilding(): void;
  actions: HouseholdActions;
}) {
  const { t } = useLocale();
  const presentation = usePresentation();
  const households = useHouseholds(gridId, can.readHouseholds);
  const overdue = useOverdue(gridId, asOf);
  const [revealed, setRevealed] = useState<Map<number, Household>>(new Map());
  const [onlyOverdue, setOnlyOverdue] = useState(false);
  const daysOverdue = new Map((overdue.data?.overdue ?? []).map((h) => [h.householdId, h.daysOverdue]));

  let body: ReactNode;
  if (households.isPending) body = <p className="muted">{t('householdsLoading')}</p>;
  else if (households.isError) {
    const forbidden = households.error instanceof ApiRequestError && households.error.status === 403;
    body = (
      <p className="muted" data-testid="households-unavailable">
        {forbidden ? t('householdsForbidden') : t('householdsFailed', { message: households.error.message })}
      </p>
    );
  } else {
    // Projector mode hides what was revealed before it was turned on.
    const shown = (h: Household) => (presentation ? h : (revealed.get(h.id) ?? h));
    const rows = households.data.households.filter(
      (h) => (building === null || h.buildingId === building.id) && (!onlyOverdue || daysOverdue.has(h.id)),
    );
    body = (
      <ul>
        {rows.map((h) => (
          <HouseholdRow
            key={h.id}
            household={shown(h)}
            daysOverdue={daysOverdue.get(h.id) ?? null}
            wasRevealed={!presentation && revealed.has(h.id)}
            canReveal={can.revealPersonal && !presentation}
            onRevealed={(full) => setRevealed((m) => new Map(m).set(full.id, full))}
            actions={can.logVisits ? actions : null}
            onOpenIssue={actions.onOpenIssue}
          />
        ))}
      </ul>
    );
  }
  return (
    <section className="households" data-testid="households" aria-labelledby="households-title">
      <h3 id="households-title">
        {households.data ? t('householdsTitle', { n: households.data.households.length }) : t('householdsHeading')}
      </h3>
      <div className="household-filters">
        {building && (
          <span className="chip" data-testid="building-filter">
            {t('onlyBuilding', { address: building.address })}
            <button type="button" onClick={onClearBuilding} aria-label={t('clearFilter')}>
              ×
            </button>
          </span>
        )}
        {overdue.data && (
          <label className="check">
            <input type="checkbox" checked={onlyOverdue} onChange={(e) => setOnlyOverdue(e.target.checked)} />
            {t('onlyOverdue', { n: daysOverdue.size })}
          </label>
        )}
      </div>
      {body}
    </section>
  );
}

function HouseholdRow({
  household: h,
  daysOverdue,
  wasRevealed,
  canReveal,
  onRevealed,
  actions,
  onOpenIssue,
}: {
  household: Household;
  daysOverdue: number | null;
  wasRevealed: boolean;
  canReveal: boolean;
  onRevealed(h: Household): void;
  actions: HouseholdActions | null;
  onOpenIssue(id: number): void;
}) {
  const { t } = useLocale();
  const [asking, setAsking] = useState(false);
  const [showRecord, setShowRecord] = useState(false);
  // The API types classification as text; an unknown value is shown as sent rather than dropped.
  const classificationLabel = (c: string) =>
    (HOUSEHOLD_CLASSIFICATIONS as readonly string[]).includes(c) ? t(`classification_${c as HouseholdClassification}`) : c;
  const place = householdPlace(h);
  return (
    <li
      className={h.masked ? 'household masked' : 'household'}
      data-household={h.id}
      data-masked={h.masked}
      data-overdue={daysOverdue !== null}
    >
      <div className="household-place">
        <span>{place}</span>
        <span className="muted">{t('membersCount', { n: h.members })}</span>
      </div>
      <div className="household-person">
        <span className="head-name" title={t('fieldHeadName')}>
          {h.headName}
        </span>
        <span className="phone" title={t('fieldPhone')}>
          {h.phone}
        </span>
        {!h.masked && h.idNumber && (
          <span className="id-number" title={t('fieldIdNumber')}>
            {h.idNumber}
          </span>
        )}
      </div>
      <div className="household-tags">
        {h.categories.map((c) => (
          <span key={c} className="tag">
            {t(`category_${c}`)}
          </span>
        ))}
        <span className={`tag classification ${h.classification}`}>{classificationLabel(h.classification)}</span>
        {daysOverdue !== null && <span className="tag overdue">{t('overdueDays', { n: daysOverdue })}</span>}
      </div>
      <div className="household-actions">
        {actions && (
          <>
            <button type="button" onClick={() => actions.onLogVisit(h)}>
              {t('logVisit')}
            </button>
            <button type="button" onClick={() => actions.onRegisterIssue(h)}>
              {t('registerIssue')}
            </button>
          </>
        )}
        <button type="button" aria-expanded={showRecord} data-testid="household-record" onClick={() => setShowRecord((v) => !v)}>
          {t('householdRecord')}
        </button>
      </div>
      {showRecord && <HouseholdTimeline householdId={h.id} onOpenIssue={onOpenIssue} />}
      {wasRevealed && <div className="revealed-note">{t('revealed')}</div>}
      {h.masked && canReveal && !asking && (
        <button type="button" className="link" onClick={() => setAsking(true)}>
          {t('showDetails')}
        </button>
      )}
      {h.masked && canReveal && asking && (
        <RevealForm
          householdId={h.id}
          onCancel={() => setAsking(false)}
          onRevealed={(full) => {
            setAsking(false);
            onRevealed(full);
          }}
        />
      )}
    </li>
  );
}

function RevealForm({ householdId, onCancel, onRevealed }: { householdId: number; onCancel(): void; onRevealed(h: Household): void }) {
  const { t } = useLocale();
  const [reason, setReason] = useState('');
  const reveal = useRevealHousehold();
  function submit(e: FormEvent) {
    e.preventDefault();
    reveal.mutate({ id: householdId, reason: reason.trim() }, { onSuccess: onRevealed });
  }
  return (
    <form className="reveal-form" onSubmit={submit}>
      <label>
        <span>{t('revealReasonLabel')}</span>
        <input
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          placeholder={t('revealReasonPlaceholder')}
          required
          minLength={2}
          maxLength={200}
          // biome-ignore lint/a11y/noAutofocus: the reason is asked for because the user just asked to reveal; typing it is the next step.
          autoFocus
        />
      </label>
      <p className="muted">{t('revealAudited')}</p>
      {reveal.isError && (
        <p className="sign-in-error" role="alert">
          {t('revealFailed', { message: reveal.error.message })}
        </p>
      )}
      <div className="reveal-actions">
        <button type="submit" className="primary" disabled={reveal.isPending || reason.trim().length < 2}>
          {t('revealConfirm')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('revealCancel')}
        </button>
      </div>
    </form>
  );
}

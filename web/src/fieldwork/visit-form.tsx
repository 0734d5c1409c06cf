import { type FormEvent, useState } from 'react';
import { VISIT_METHODS, VISIT_RESULTS, type VisitMethod, type VisitResult } from '../../../geo/domain/household';
import { type Household, useLogVisit, type VisitRequest } from '../api';
import { useLocale } from '../i18n/locale';
import { Choice, optionsOf } from '../panels/choice';
import { chinaLocalToIso, formatChinaTime, productNowLocal } from '../panels/format';
import { FormActions, FormHeader } from './form-parts';
import { useIdempotencyKey } from './idempotency';
import { useLocationFix } from './use-location';

/** 记录走访: one visit to one household, made to be filled in on a phone at the door. */
export function VisitForm({ household, today, onClose }: { household: Household; today: string | null; onClose(): void }) {
  const { t } = useLocale();
  const [visitedAt, setVisitedAt] = useState(() => productNowLocal(today));
  const [method, setMethod] = useState<VisitMethod>('in_person');
  const [result, setResult] = useState<VisitResult>('met');
  const [duration, setDuration] = useState('');
  const [notes, setNotes] = useState('');
  const gps = useLocationFix();
  const logVisit = useLogVisit();
  const keyFor = useIdempotencyKey();

  function submit(e: FormEvent) {
    e.preventDefault();
    const visit: VisitRequest = {
      householdId: household.id,
      visitedAt: chinaLocalToIso(visitedAt),
      method,
      result,
      ...(duration.trim() ? { durationMin: Number(duration) } : {}),
      ...(notes.trim() ? { notes: notes.trim() } : {}),
      ...(gps.fix ? { location: { type: 'Point' as const, coordinates: gps.fix.point }, accuracyM: gps.fix.accuracyM } : {}),
    };
    logVisit.mutate({ key: keyFor(visit), visit });
  }

  const logged = logVisit.data;
  return (
    <section className="field-form" data-testid="visit-form" aria-labelledby="visit-form-title">
      <FormHeader id="visit-form-title" title={t('visitFormTitle')} household={household} onClose={onClose} />
      {logged ? (
        <div className="form-success" role="status" data-testid="visit-logged">
          <strong>{t('visitLogged', { at: formatChinaTime(logged.visitedAt) })}</strong>
          {logged.flagged && <p>{t('visitFlagged', { m: logged.flagged.distanceM })}</p>}
          <button type="button" className="primary" onClick={onClose}>
            {t('formDone')}
          </button>
        </div>
      ) : (
        <form onSubmit={submit} aria-busy={logVisit.isPending}>
          <label>
            <span>{t('visitedAtLabel')}</span>
            <input type="datetime-local" name="visitedAt" required value={visitedAt} onChange={(e) => setVisitedAt(e.target.value)} />
          </label>
          <div className="form-row">
            <Choice
              label={t('visitMethodLabel')}
              name="method"
              value={method}
              onChange={(v) => setMethod(v as VisitMethod)}
              options={optionsOf(VISIT_METHODS, (m) => t(`visitMethod_${m}`))}
            />
            <Choice
              label={t('visitResultLabel')}
              name="result"
              value={result}
              onChange={(v) => setResult(v as VisitResult)}
              options={optionsOf(VISIT_RESULTS, (r) => t(`visitResult_${r}`))}
            />
          </div>
          <label>
            <span>{t('durationLabel')}</span>
            <input
              type="number"
              name="durationMin"
              inputMode="numeric"
              min={0}
              max={1440}
              step={1}
              value={duration}
              onChange={(e) => setDuration(e.target.value)}
            />
          </label>
          <label>
            <span>{t('visitNotesLabel')}</span>
            <textarea
              name="notes"
              rows={3}
              maxLength={5000}
              value={notes}
              onChange={(e) => setNotes(e.target.value)}
              placeholder={t('visitNotesPlaceholder')}
            />
          </label>
          {gps.available && (
            <div className="gps">
              {gps.fix ? (
                <>
                  <span>{t('gpsFix', { m: gps.fix.accuracyM })}</span>
                  <button type="button" className="link" onClick={gps.clear}>
                    {t('gpsClear')}
                  </button>
                </>
              ) : (
                <button type="button" onClick={gps.locate} disabled={gps.state === 'locating'}>
                  {gps.state === 'locating' ? t('gpsLocating') : t('gpsUse')}
                </button>
              )}
              {gps.state === 'failed' && <span className="muted">{t('gpsFailed')}</span>}
            </div>
          )}
          <FormActions error={logVisit.error} pending={logVisit.isPending} submitLabel={t('visitSubmit')} onCancel={onClose} />
        </form>
      )}
    </section>
  );
}

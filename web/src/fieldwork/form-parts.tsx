/** The parts every field-work form shares: its title bar, whom it is about, and submit / cancel with the server's refusal. */
import type { ReactNode } from 'react';
import type { Household } from '../api';
import { useLocale } from '../i18n/locale';
import { householdPlace } from '../panels/household-list';
import { Refusal } from './refusal';

export function FormHeader({ id, title, household, onClose }: { id: string; title: string; household: Household | null; onClose(): void }) {
  const { t } = useLocale();
  return (
    <>
      <header>
        <h2 id={id}>{title}</h2>
        <button type="button" className="close" onClick={onClose} aria-label={t('panelClose')}>
          ×
        </button>
      </header>
      {household && (
        <p className="form-subject">
          <span>{householdPlace(household)}</span>
          <span className="muted">{household.headName}</span>
        </p>
      )}
    </>
  );
}

export function FormActions({
  error,
  pending,
  submitLabel,
  disabled = false,
  onCancel,
}: {
  error: Error | null;
  pending: boolean;
  submitLabel: ReactNode;
  disabled?: boolean;
  onCancel(): void;
}) {
  const { t } = useLocale();
  return (
    <>
      <Refusal error={error} />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={pending || disabled}>
          {pending ? t('saving') : submitLabel}
        </button>
        <button type="button" onClick={onCancel}>
          {t('formCancel')}
        </button>
      </div>
    </>
  );
}

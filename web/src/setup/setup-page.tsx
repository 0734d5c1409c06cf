/**
 * The first page of an empty installation: the street's name and 12-digit division code, and
 * the account of its first street leader. The server says what is wrong (in this language) and
 * which field; the page puts the message under that field.
 */

import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { PASSWORD_MIN_LENGTH } from '../../../geo/domain/password-rules';
import { ApiRequestError } from '../api';
import { AuthTopbar } from '../auth/auth-topbar';
import { startSession, useSession } from '../auth/session';
import { useLocale } from '../i18n/locale';
import { setUpStreet } from './setup-api';

type Field = 'street.name' | 'street.code' | 'admin.name' | 'admin.email' | 'admin.password';

export function SetupPage({ mode }: { mode: 'local' | 'supabase' }) {
  const { t } = useLocale();
  const qc = useQueryClient();
  const { session } = useSession();
  const [values, setValues] = useState<Record<Field, string>>({
    'street.name': '',
    'street.code': '',
    'admin.name': '',
    'admin.email': '',
    'admin.password': '',
  });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ field: Field | null; message: string } | null>(null);

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await setUpStreet({
        street: { name: values['street.name'], code: values['street.code'] },
        admin: {
          name: values['admin.name'],
          email: values['admin.email'],
          ...(mode === 'local' ? { password: values['admin.password'] } : {}),
        },
      });
      if (answer.access_token !== null) startSession(answer.access_token, answer.expires_in ?? 0, 'local');
      qc.setQueryData(['setup'], { needed: false, mode });
      await qc.invalidateQueries();
    } catch (err) {
      const details = err instanceof ApiRequestError && Array.isArray(err.details) ? (err.details as { path?: string }[]) : [];
      const field = (details[0]?.path as Field | undefined) ?? null;
      setError({ field, message: err instanceof Error ? err.message : String(err) });
      if (err instanceof ApiRequestError && err.code === 'already_set_up') qc.setQueryData(['setup'], { needed: false, mode });
      setBusy(false);
    }
  }

  const input = (
    field: Field,
    label: string,
    props: { type?: string; autoComplete?: string; hint?: string; inputMode?: 'numeric' } = {},
  ) => (
    <label>
      <span>{label}</span>
      <input
        name={field}
        type={props.type ?? 'text'}
        autoComplete={props.autoComplete}
        inputMode={props.inputMode}
        required
        aria-invalid={error?.field === field || undefined}
        value={values[field]}
        onChange={(e) => setValues({ ...values, [field]: e.target.value })}
      />
      {props.hint && <small className="muted">{props.hint}</small>}
      {error?.field === field && (
        <small className="sign-in-error" role="alert">
          {error.message}
        </small>
      )}
    </label>
  );

  const waitingForSupabase = mode === 'supabase' && !session;
  return (
    <div className="sign-in-page">
      <AuthTopbar />
      <main className="sign-in-body">
        <section className="sign-in-card setup-card" aria-labelledby="setup-title">
          <h2 id="setup-title">{t('setup_title')}</h2>
          <p className="muted">{t('setup_intro')}</p>
          {waitingForSupabase ? (
            <p className="notice">{t('setup_supabaseNote')}</p>
          ) : (
            <form onSubmit={onSubmit} aria-busy={busy} data-testid="setup-form">
              <fieldset>
                <legend>{t('setup_streetSection')}</legend>
                {input('street.name', t('setup_streetName'))}
                {input('street.code', t('setup_streetCode'), { hint: t('setup_streetCodeHint'), inputMode: 'numeric' })}
              </fieldset>
              <fieldset>
                <legend>{t('setup_adminSection')}</legend>
                {input('admin.name', t('setup_adminName'), { autoComplete: 'name' })}
                {input('admin.email', t('setup_adminEmail'), { type: 'email', autoComplete: 'username' })}
                {mode === 'local' &&
                  input('admin.password', t('setup_adminPassword'), {
                    type: 'password',
                    autoComplete: 'new-password',
                    hint: t('passwordRulesHint', { min: PASSWORD_MIN_LENGTH }),
                  })}
              </fieldset>
              {error && error.field === null && (
                <p className="sign-in-error" role="alert">
                  {error.message}
                </p>
              )}
              <button type="submit" className="primary" disabled={busy}>
                {busy ? t('setup_submitting') : t('setup_submit')}
              </button>
            </form>
          )}
        </section>
      </main>
    </div>
  );
}

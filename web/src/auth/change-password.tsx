/**
 * Changing one's own password: the whole page after signing in with a one-time password (nothing
 * else loads until it is changed), or a dialog from the account bar. The rules are checked here
 * with the same pure function the server uses, so a weak password is explained before sending.
 */
import { type FormEvent, useState } from 'react';
import { createPortal } from 'react-dom';
import { checkPassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../../geo/domain/password-rules';
import type { StringKey } from '../../../geo/i18n/strings';
import { client } from '../api';
import { useLocale } from '../i18n/locale';
import { AuthTopbar } from './auth-topbar';
import { logOut } from './log-out';
import { startSession } from './session';

const VARS = { min: PASSWORD_MIN_LENGTH, max: PASSWORD_MAX_LENGTH };

function ChangePasswordForm({ onDone, onCancel }: { onDone: () => void; onCancel: (() => void) | null }) {
  const { t } = useLocale();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (next !== again) return setError(t('passwordMismatch'));
    const check = checkPassword(next, { current });
    if (!check.valid) return setError(t(`passwordReason_${check.reason}` as StringKey, VARS));
    setBusy(true);
    setError(null);
    const res = await client.api.auth.password.$post({ json: { current, next } });
    setBusy(false);
    if (res.ok) {
      const { access_token, expires_in } = await res.json();
      startSession(access_token, expires_in, 'local');
      return onDone();
    }
    const body = (await res.json().catch(() => null)) as {
      error?: { code?: string; message?: string; details?: { reason?: string }[] };
    } | null;
    const code = body?.error?.code;
    const reason = body?.error?.details?.[0]?.reason;
    setError(
      code === 'wrong_current_password'
        ? t('currentPasswordWrong')
        : code === 'weak_password' && reason
          ? t(`passwordReason_${reason}` as StringKey, VARS)
          : t('signInFailed', { message: body?.error?.message ?? `HTTP ${res.status}` }),
    );
  }

  return (
    <form onSubmit={onSubmit} aria-busy={busy} data-testid="change-password">
      <p className="muted">{t('passwordRulesHint', VARS)}</p>
      <label>
        <span>{t('currentPasswordLabel')}</span>
        <input
          type="password"
          name="current"
          autoComplete="current-password"
          required
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
        />
      </label>
      <label>
        <span>{t('newPasswordLabel')}</span>
        <input type="password" name="next" autoComplete="new-password" required value={next} onChange={(e) => setNext(e.target.value)} />
      </label>
      <label>
        <span>{t('confirmPasswordLabel')}</span>
        <input type="password" name="again" autoComplete="new-password" required value={again} onChange={(e) => setAgain(e.target.value)} />
      </label>
      {error && (
        <p className="sign-in-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy}>
        {busy ? t('changingPassword') : t('changePasswordButton')}
      </button>
      {onCancel && (
        <button type="button" onClick={onCancel}>
          {t('cancel')}
        </button>
      )}
    </form>
  );
}

/** The page shown instead of the app while the password is a one-time one. */
export function ChangePasswordPage() {
  const { t } = useLocale();
  return (
    <div className="sign-in-page">
      <AuthTopbar
        end={
          <button type="button" className="sign-out" onClick={() => void logOut()}>
            {t('signOut')}
          </button>
        }
      />
      <main className="sign-in-body">
        <section className="sign-in-card" aria-labelledby="change-password-title">
          <h2 id="change-password-title">{t('changePasswordTitle')}</h2>
          <p className="notice" role="status">
            {t('passwordChangeRequired')}
          </p>
          <ChangePasswordForm onDone={() => undefined} onCancel={null} />
        </section>
      </main>
    </div>
  );
}

/**
 * 修改密码 from the account bar, over the map. In a portal on the body: inside the header it
 * inherited the header's light text and drew its labels and buttons white on white.
 */
export function ChangePasswordDialog({ onClose }: { onClose: () => void }) {
  const { t } = useLocale();
  return createPortal(
    <div className="sign-in-page change-password-overlay" role="dialog" aria-modal="true" aria-labelledby="change-password-title">
      <main className="sign-in-body">
        <section className="sign-in-card">
          <h2 id="change-password-title">{t('changePasswordTitle')}</h2>
          <ChangePasswordForm onDone={onClose} onCancel={onClose} />
        </section>
      </main>
    </div>,
    document.body,
  );
}

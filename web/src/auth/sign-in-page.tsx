import { type FormEvent, useState } from 'react';
import { useAuthConfig } from '../api';
import { useLocale } from '../i18n/locale';
import { AuthTopbar } from './auth-topbar';
import { useSession } from './session';
import { SignInError, signIn } from './sign-in';

/** The demo accounts' shared password; public by design (README), never valid off the demo street. */
const DEMO_PASSWORD = 'demo1234';

export function SignInPage() {
  const { t } = useLocale();
  const config = useAuthConfig();
  const { lastSignOut } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(withEmail: string, withPassword: string) {
    if (!config.data) return;
    setBusy(true);
    setError(null);
    try {
      await signIn(config.data, withEmail, withPassword);
    } catch (err) {
      const kind = err instanceof SignInError ? err.kind : 'other';
      const message = err instanceof Error ? err.message : String(err);
      setError(
        kind === 'invalid_credentials'
          ? t('signInWrongPassword')
          : kind === 'rate_limited'
            ? t('signInRateLimited')
            : t('signInFailed', { message }),
      );
      setBusy(false);
    }
  }

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    void submit(email, password);
  }

  const demoAccounts = config.data?.demoAccounts ?? [];
  return (
    <div className="sign-in-page">
      <AuthTopbar />
      <main className="sign-in-body">
        <section className="sign-in-card" aria-labelledby="sign-in-title">
          <h2 id="sign-in-title">{t('signInTitle')}</h2>
          <p className="muted">{t('signInIntro')}</p>
          {lastSignOut === 'expired' && !error && (
            <p className="notice" role="status">
              {t('sessionExpired')}
            </p>
          )}
          <form onSubmit={onSubmit} aria-busy={busy}>
            <label>
              <span>{t('emailLabel')}</span>
              <input type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
            </label>
            <label>
              <span>{t('passwordLabel')}</span>
              <input
                type="password"
                name="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </label>
            {error && (
              <p className="sign-in-error" role="alert">
                {error}
              </p>
            )}
            {config.isError && (
              <p className="sign-in-error" role="alert">
                {t('loadFailed')}: {config.error.message}
              </p>
            )}
            <button type="submit" className="primary" disabled={busy || !config.data}>
              {busy ? t('signingIn') : t('signInButton')}
            </button>
          </form>
          {demoAccounts.length > 0 && (
            <section className="demo-accounts" aria-labelledby="demo-accounts-title">
              <h3 id="demo-accounts-title">{t('demoAccountsTitle', { password: DEMO_PASSWORD })}</h3>
              <p className="muted">{t('demoAccountsHint')}</p>
              <ul>
                {demoAccounts.map((a) => (
                  <li key={a.email}>
                    <button
                      type="button"
                      disabled={busy}
                      data-email={a.email}
                      onClick={() => {
                        setEmail(a.email);
                        setPassword(DEMO_PASSWORD);
                        void submit(a.email, DEMO_PASSWORD);
                      }}
                    >
                      <span className="role-label">{t(`role_${a.role}`)}</span>
                      <span className="demo-email">{a.email}</span>
                    </button>
                  </li>
                ))}
              </ul>
            </section>
          )}
        </section>
      </main>
    </div>
  );
}

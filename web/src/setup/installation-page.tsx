/**
 * What an installation administrator sees instead of the map: the installation's streets with
 * their counts, and a form for a new street and its first leader. No street's data reaches this
 * account (the database gives it counts only), so there is no map to show.
 */
import { type FormEvent, useState } from 'react';
import type { Me } from '../api';
import { AccountBar } from '../auth/account-bar';
import { AuthTopbar } from '../auth/auth-topbar';
import { useLocale } from '../i18n/locale';
import { formatChinaTime } from '../panels/format';
import { OneTimePassword } from './one-time-password';
import { type NewStreet, useCreateStreet, useInstallationStreets } from './setup-api';

const EMPTY: NewStreet = { street: { name: '', code: '' }, leader: { name: '', email: '' } };

export function InstallationPage({ me }: { me: Me }) {
  const { t } = useLocale();
  const streets = useInstallationStreets();
  const create = useCreateStreet();
  const [form, setForm] = useState<NewStreet>(EMPTY);

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    create.mutate(form, { onSuccess: () => setForm(EMPTY) });
  }
  const created = create.data;
  return (
    <div className="sign-in-page">
      <AuthTopbar end={<AccountBar me={me} onOpenDiary={null} />} />
      <main className="installation-body">
        <h2>{t('installation_title')}</h2>
        <p className="muted">{t('installation_intro')}</p>
        <div className="table-scroll">
          <table className="installation-streets" data-testid="installation-streets">
            <thead>
              <tr>
                <th>{t('installation_colStreet')}</th>
                <th>{t('installation_colCode')}</th>
                <th>{t('installation_colCommunities')}</th>
                <th>{t('installation_colGrids')}</th>
                <th>{t('installation_colStaff')}</th>
                <th>{t('installation_colHouseholds')}</th>
                <th>{t('installation_colCreated')}</th>
              </tr>
            </thead>
            <tbody>
              {(streets.data ?? []).map((s) => (
                <tr key={s.id}>
                  <td>{s.name}</td>
                  <td>{s.code}</td>
                  <td>{s.communities}</td>
                  <td>{s.grids}</td>
                  <td>{s.staff}</td>
                  <td>{s.households}</td>
                  <td>{formatChinaTime(s.createdAt).slice(0, 10)}</td>
                </tr>
              ))}
              {streets.data?.length === 0 && (
                <tr>
                  <td colSpan={7}>{t('installation_none')}</td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
        <section className="sign-in-card" aria-labelledby="new-street-title">
          <h3 id="new-street-title">{t('installation_newStreet')}</h3>
          {created && (
            <div className="notice" role="status">
              {created.leader.initialPassword ? (
                <>
                  <p>
                    {t('installation_created', { street: created.street.name, name: created.leader.name, email: created.leader.email })}
                  </p>
                  <OneTimePassword password={created.leader.initialPassword} />
                </>
              ) : (
                <p>
                  {t('installation_createdSupabase', {
                    street: created.street.name,
                    name: created.leader.name,
                    email: created.leader.email,
                  })}
                </p>
              )}
            </div>
          )}
          <form onSubmit={onSubmit} aria-busy={create.isPending}>
            <label>
              <span>{t('setup_streetName')}</span>
              <input
                name="street.name"
                required
                value={form.street.name}
                onChange={(e) => setForm({ ...form, street: { ...form.street, name: e.target.value } })}
              />
            </label>
            <label>
              <span>{t('setup_streetCode')}</span>
              <input
                name="street.code"
                inputMode="numeric"
                required
                value={form.street.code}
                onChange={(e) => setForm({ ...form, street: { ...form.street, code: e.target.value } })}
              />
              <small className="muted">{t('setup_streetCodeHint')}</small>
            </label>
            <label>
              <span>{t('installation_leaderName')}</span>
              <input
                name="leader.name"
                required
                value={form.leader.name}
                onChange={(e) => setForm({ ...form, leader: { ...form.leader, name: e.target.value } })}
              />
            </label>
            <label>
              <span>{t('installation_leaderEmail')}</span>
              <input
                name="leader.email"
                type="email"
                required
                value={form.leader.email}
                onChange={(e) => setForm({ ...form, leader: { ...form.leader, email: e.target.value } })}
              />
            </label>
            {create.error && (
              <p className="sign-in-error" role="alert">
                {create.error.message}
              </p>
            )}
            <button type="submit" className="primary" disabled={create.isPending}>
              {t('installation_create')}
            </button>
          </form>
        </section>
      </main>
    </div>
  );
}

/**
 * 人员管理 (issue 18): the street's staff as the caller sees them — role, community, grids, active
 * or not — searched by name, mobile or email; creating a person (their one-time password shown
 * once, with a copy button), changing name, mobile, role, community and grids (the chosen grids
 * highlighted on the map beside the panel), disabling and enabling, resetting a password, and
 * importing a roster. Offered to the street leader and community staff; the server's rules
 * (minqing.may_manage_staff) decide, and its refusals are said in the user's language.
 */
import { type FormEvent, useEffect, useMemo, useRef, useState } from 'react';
import { MANAGEABLE_ROLES, mayManageRole, type StaffRole } from '../../../geo/domain/staff';
import { isStringKey } from '../../../geo/i18n/strings';
import { ApiRequestError, type CommunityCollection, type GridCollection, type Me } from '../api';
import { useLocale } from '../i18n/locale';
import { type StaffMember, useChangeStaff, useCreateStaff, useResetPassword, useStaffList } from './staff-api';

interface Props {
  me: Me;
  grids: GridCollection;
  communities: CommunityCollection;
  /** The grids to highlight on the map while a person's scope is edited; null when none is. */
  onScope(gridIds: number[] | null): void;
  onImport(): void;
  onClose(): void;
}

type Editing = { mode: 'new' } | { mode: 'edit'; member: StaffMember };
/** A one-time password (or, in Supabase mode, whether the account was linked), shown once. */
type Secret = { name: string; created: boolean } & ({ password: string } | { linked: boolean });

const GRID_ROLES: readonly StaffRole[] = ['grid_leader', 'grid_member'];
const STREET_ROLES: readonly StaffRole[] = ['street_leader', 'presenter'];

/** A staff request's refusal in the user's language: by its code, never the server's English. */
function useErrorText() {
  const { t } = useLocale();
  return (e: unknown) => {
    const code = e instanceof ApiRequestError ? e.code : 'other';
    const key = `staffErr_${code}`;
    return isStringKey(key) ? t(key) : t('staffErr_other');
  };
}

export function StaffPanel({ me, grids, communities, onScope, onImport, onClose }: Props) {
  const { t } = useLocale();
  const list = useStaffList();
  const [query, setQuery] = useState('');
  const [editing, setEditing] = useState<Editing | null>(null);
  const [secret, setSecret] = useState<Secret | null>(null);
  const [error, setError] = useState<string | null>(null);
  const change = useChangeStaff();
  const reset = useResetPassword();
  const errorText = useErrorText();
  const myId = me.staff?.id ?? null;
  const myRole = me.staff?.role ?? null;

  const communityName = (id: number | null) => communities.features.find((c) => c.properties.id === id)?.properties.name ?? null;
  const gridName = (id: number) => grids.features.find((g) => g.properties.id === id)?.properties.name ?? `#${id}`;
  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    const all = list.data?.staff ?? [];
    return q ? all.filter((s) => [s.name, s.phone ?? '', s.email ?? ''].some((v) => v.toLowerCase().includes(q))) : all;
  }, [list.data, query]);

  // Leaving the screen clears the highlight on the map.
  useEffect(() => () => onScope(null), [onScope]);

  const act = async (run: () => Promise<unknown>) => {
    setError(null);
    try {
      await run();
    } catch (e) {
      setError(errorText(e));
    }
  };

  if (editing) {
    return (
      <StaffForm
        key={editing.mode === 'edit' ? editing.member.id : 'new'}
        me={me}
        member={editing.mode === 'edit' ? editing.member : null}
        grids={grids}
        communities={communities}
        onScope={onScope}
        onDone={(s) => {
          setEditing(null);
          onScope(null);
          setSecret(s);
        }}
        onCancel={() => {
          setEditing(null);
          onScope(null);
        }}
      />
    );
  }

  return (
    <section className="field-form staff-panel" data-testid="staff-panel" aria-labelledby="staff-title">
      <header>
        <h2 id="staff-title">{t('staff_title')}</h2>
        <button type="button" className="close" onClick={onClose} aria-label={t('staff_close')}>
          ×
        </button>
      </header>
      {secret && <OneTimeSecret secret={secret} onDone={() => setSecret(null)} />}
      {error && (
        <p className="refusal" role="alert" data-testid="staff-error">
          {error}
        </p>
      )}
      <div className="staff-tools">
        <input
          type="search"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          placeholder={t('staff_search')}
          aria-label={t('staff_search')}
          data-testid="staff-search"
        />
        <div className="form-actions">
          <button type="button" className="primary" onClick={() => setEditing({ mode: 'new' })} data-testid="staff-new">
            {t('staff_new')}
          </button>
          <button type="button" onClick={onImport} data-testid="staff-import">
            {t('staff_import')}
          </button>
        </div>
      </div>
      {list.isLoading ? (
        <p className="muted">{t('staff_loading')}</p>
      ) : (
        <>
          <p className="muted">{t('staff_count', { n: shown.length })}</p>
          {shown.length === 0 && <p className="muted">{t('staff_none')}</p>}
          <ul className="staff-list">
            {shown.map((s) => {
              const manageable = s.id !== myId && mayManageRole(myRole, s.role);
              return (
                <li key={s.id} className={s.active ? '' : 'inactive'} data-testid="staff-item" data-email={s.email ?? ''}>
                  <div className="staff-who">
                    <strong>{s.name}</strong>
                    {s.id === myId && <span className="tag">{t('staff_you')}</span>}
                    <span className="role-chip">{t(`role_${s.role}`)}</span>
                    <span className={`tag ${s.active ? 'active' : 'overdue'}`} data-testid="staff-state">
                      {t(s.active ? 'staff_active' : 'staff_inactive')}
                    </span>
                  </div>
                  <div className="staff-where muted">
                    {communityName(s.communityId) ?? t('staff_streetWide')}
                    {s.gridIds.length > 0 && <> · {s.gridIds.map(gridName).join('、')}</>}
                  </div>
                  <div className="staff-contact muted">{[s.phone, s.email].filter(Boolean).join(' · ')}</div>
                  {manageable && (
                    <div className="staff-actions">
                      <button type="button" onClick={() => setEditing({ mode: 'edit', member: s })} data-testid="staff-edit">
                        {t('staff_edit')}
                      </button>
                      <button
                        type="button"
                        data-testid="staff-toggle-active"
                        disabled={change.isPending}
                        onClick={() => {
                          if (s.active && !window.confirm(t('staff_disableConfirm', { name: s.name }))) return;
                          void act(() => change.mutateAsync({ id: s.id, change: { active: !s.active } }));
                        }}
                      >
                        {t(s.active ? 'staff_disable' : 'staff_enable')}
                      </button>
                      {s.active && (
                        <button
                          type="button"
                          data-testid="staff-reset"
                          disabled={reset.isPending}
                          onClick={() => {
                            if (!window.confirm(t('staff_resetConfirm', { name: s.name }))) return;
                            void act(async () => {
                              const r = await reset.mutateAsync(s.id);
                              setSecret({ name: s.name, created: false, password: r.initialPassword });
                            });
                          }}
                        >
                          {t('staff_reset')}
                        </button>
                      )}
                    </div>
                  )}
                </li>
              );
            })}
          </ul>
        </>
      )}
    </section>
  );
}

/** The one-time password, shown once, with a copy button; gone once dismissed. */
function OneTimeSecret({ secret, onDone }: { secret: Secret; onDone(): void }) {
  const { t } = useLocale();
  const [copied, setCopied] = useState(false);
  // The panel keeps its scroll position: bring the password into view wherever the list was.
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    box.current?.scrollIntoView({ block: 'nearest' });
  }, []);
  return (
    <div ref={box} className="form-success one-time" role="status" data-testid="staff-secret">
      {secret.created && <p>{t('staff_created', { name: secret.name })}</p>}
      {'password' in secret ? (
        <>
          <p>{t('staff_passwordFor', { name: secret.name })}</p>
          <div className="secret-row">
            <code data-testid="staff-password">{secret.password}</code>
            <button
              type="button"
              onClick={() =>
                void navigator.clipboard?.writeText(secret.password).then(
                  () => setCopied(true),
                  () => setCopied(false),
                )
              }
            >
              {copied ? t('staff_copied') : t('staff_copy')}
            </button>
          </div>
          <p className="hint">{t('staff_passwordOnce')}</p>
        </>
      ) : (
        <p>{t(secret.linked ? 'staff_linked' : 'staff_notLinked')}</p>
      )}
      <div className="form-actions">
        <button type="button" className="primary" onClick={onDone} data-testid="staff-secret-done">
          {t('staff_done')}
        </button>
      </div>
    </div>
  );
}

function StaffForm({
  me,
  member,
  grids,
  communities,
  onScope,
  onDone,
  onCancel,
}: {
  me: Me;
  member: StaffMember | null;
  grids: GridCollection;
  communities: CommunityCollection;
  onScope(gridIds: number[] | null): void;
  onDone(secret: Secret | null): void;
  onCancel(): void;
}) {
  const { t } = useLocale();
  const errorText = useErrorText();
  const create = useCreateStaff();
  const change = useChangeStaff();
  const myRole = me.staff!.role;
  const roles = MANAGEABLE_ROLES[myRole];
  const ownCommunity = myRole === 'community_staff' ? me.staff!.communityId : null;
  const [name, setName] = useState(member?.name ?? '');
  const [phone, setPhone] = useState(member?.phone ?? '');
  const [email, setEmail] = useState(member?.email ?? '');
  const [role, setRole] = useState<StaffRole>(member?.role ?? (roles.includes('grid_member') ? 'grid_member' : roles[0]!));
  const [communityId, setCommunityId] = useState<number | null>(member?.communityId ?? ownCommunity);
  const [gridIds, setGridIds] = useState<number[]>(member?.gridIds ?? []);
  const [error, setError] = useState<string | null>(null);
  const busy = create.isPending || change.isPending;
  const needsCommunity = !STREET_ROLES.includes(role);
  const servesGrids = GRID_ROLES.includes(role);
  const communityGrids = grids.features.filter((g) => g.properties.communityId === communityId);

  // The chosen grids on the map, as they are ticked.
  useEffect(() => {
    onScope(servesGrids ? gridIds : null);
  }, [gridIds, servesGrids, onScope]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const scope = {
      communityId: needsCommunity ? communityId : null,
      gridIds: servesGrids ? gridIds.filter((id) => communityGrids.some((g) => g.properties.id === id)) : [],
    };
    try {
      if (member) {
        await change.mutateAsync({ id: member.id, change: { name: name.trim(), phone: phone.trim() || null, role, ...scope } });
        onDone(null);
      } else {
        const r = await create.mutateAsync({ name: name.trim(), phone: phone.trim() || undefined, email: email.trim(), role, ...scope });
        onDone(
          'initialPassword' in r
            ? { name: r.staff.name, created: true, password: r.initialPassword }
            : { name: r.staff.name, created: true, linked: r.linked },
        );
      }
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <section className="field-form staff-panel" data-testid="staff-form">
      <header>
        <h2>{member ? `${t('staff_edit')} · ${member.name}` : t('staff_new')}</h2>
        <button type="button" className="close" onClick={onCancel} aria-label={t('cancel')}>
          ×
        </button>
      </header>
      <form onSubmit={(e) => void submit(e)}>
        <label>
          {t('staff_field_name')}
          <input name="name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <div className="form-row">
          <label>
            {t('staff_field_phone')}
            <input name="phone" type="tel" inputMode="tel" value={phone} onChange={(e) => setPhone(e.target.value)} />
          </label>
          <label>
            {t('staff_field_email')}
            <input
              name="email"
              type="email"
              required={!member}
              disabled={!!member}
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          </label>
        </div>
        <div className="form-row">
          <label>
            {t('staff_field_role')}
            <select name="role" value={role} onChange={(e) => setRole(e.target.value as StaffRole)}>
              {roles.map((r) => (
                <option key={r} value={r}>
                  {t(`role_${r}`)}
                </option>
              ))}
            </select>
          </label>
          {needsCommunity && (
            <label>
              {t('staff_field_community')}
              <select
                name="community"
                value={communityId ?? ''}
                disabled={ownCommunity !== null}
                required
                onChange={(e) => {
                  setCommunityId(e.target.value ? Number(e.target.value) : null);
                  setGridIds([]);
                }}
              >
                <option value="">{t('staff_chooseCommunity')}</option>
                {communities.features.map((c) => (
                  <option key={c.properties.id} value={c.properties.id}>
                    {c.properties.name}
                  </option>
                ))}
              </select>
            </label>
          )}
        </div>
        {servesGrids && communityId !== null && (
          <fieldset className="staff-grids" data-testid="staff-grids">
            <legend>{t('staff_field_grids')}</legend>
            <p className="hint">{t('staff_gridsHint')}</p>
            {communityGrids.map((g) => (
              <label key={g.properties.id} className="check">
                <input
                  type="checkbox"
                  value={g.properties.id}
                  checked={gridIds.includes(g.properties.id)}
                  onChange={(e) =>
                    setGridIds((ids) => (e.target.checked ? [...ids, g.properties.id] : ids.filter((id) => id !== g.properties.id)))
                  }
                />
                <span>{g.properties.name}</span>
              </label>
            ))}
          </fieldset>
        )}
        {error && (
          <p className="refusal" role="alert" data-testid="staff-error">
            {error}
          </p>
        )}
        <div className="form-actions">
          <button type="button" onClick={onCancel} disabled={busy}>
            {t('cancel')}
          </button>
          <button type="submit" className="primary" disabled={busy} data-testid="staff-save">
            {busy ? t('staff_saving') : t(member ? 'staff_save' : 'staff_create')}
          </button>
        </div>
      </form>
    </section>
  );
}

import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { Me } from '../api';
import { useLocale } from '../i18n/locale';
import { ChangePasswordDialog } from './change-password';
import { logOut } from './log-out';
import { setPresentation, usePresentation } from './presentation';
import { useSession } from './session';

/** Where the signed-in account acts: its grids, else its community, else the whole street. */
function scopeOf(staff: NonNullable<Me['staff']>, street: string): string {
  const grids = staff.grids.map((g) => g.name).join('、');
  if (staff.communityName && grids) return `${staff.communityName} · ${grids}`;
  return staff.communityName || grids || street;
}

/** The header's account section: who is signed in and as what, projector mode, password and sign-out. */
export function AccountBar({
  me,
  onOpenDiary,
}: {
  me: Me | undefined /** Offered to accounts that log visits. */;
  onOpenDiary: (() => void) | null;
}) {
  const { t } = useLocale();
  const queryClient = useQueryClient();
  const presentation = usePresentation();
  const staff = me?.staff;
  const { session } = useSession();
  const [changingPassword, setChangingPassword] = useState(false);
  return (
    // biome-ignore lint/a11y/useSemanticElements: a group of header controls, not a form (a fieldset would be).
    <div className="account" aria-label={t('signedInAs')} role="group">
      {staff && (
        <div className="who" data-testid="account">
          <strong className="who-name">{staff.name}</strong>
          <span className="role-chip">{t(`role_${staff.role}`)}</span>
          <span className="who-scope">{scopeOf(staff, t('scopeStreet'))}</span>
        </div>
      )}
      {me && !staff && <div className="who">{me.email}</div>}
      {onOpenDiary && (
        <button type="button" className="toggle" data-testid="open-diary" onClick={onOpenDiary}>
          {t('diaryOpen')}
        </button>
      )}
      {/* Offered to accounts that can see personal data; kept while on, since the server then answers
          with every capability off and the switch must stay reachable to turn it back off. */}
      {(presentation || me?.can.readHouseholds) && (
        <button
          type="button"
          className={presentation ? 'toggle active' : 'toggle'}
          aria-pressed={presentation}
          title={t('presentationHint')}
          onClick={() => {
            setPresentation(!presentation);
            // Everything is fetched again with the new header; personal data is keyed by the mode.
            void queryClient.invalidateQueries();
          }}
        >
          {t('presentationMode')}
        </button>
      )}
      {/* A Supabase account's password is the project's to change, not ours. */}
      {session?.mode === 'local' && (
        <button type="button" className="toggle" data-testid="change-password-open" onClick={() => setChangingPassword(true)}>
          {t('changePassword')}
        </button>
      )}
      <button type="button" className="sign-out" onClick={() => void logOut()}>
        {t('signOut')}
      </button>
      {changingPassword && <ChangePasswordDialog onClose={() => setChangingPassword(false)} />}
    </div>
  );
}

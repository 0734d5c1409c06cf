import type { AppConfig, Me } from './api';
import { AccountBar } from './auth/account-bar';
import { Brand } from './auth/auth-topbar';
import { ProposalsButton } from './boundary-editor/proposals-button';
import { LanguageSelect } from './i18n/language-select';
import { useLocale } from './i18n/locale';
import { LiveIndicator } from './live/live-indicator';
import { useLiveUpdates } from './live/use-live-updates';

interface Props {
  street: AppConfig['streets'][number] | undefined;
  me: Me | undefined;
  /** Offered when the account may import anything. */
  onImport: (() => void) | null;
  /** Offered to whoever manages staff. */
  onOpenStaff: (() => void) | null;
  onOpenProposals(): void;
  /** Offered to accounts that log visits. */
  onOpenDiary: (() => void) | null;
}

/** The top bar: the app's and the street's names, the ways to the other screens, live state, account, language. */
export function AppHeader({ street, me, onImport, onOpenStaff, onOpenProposals, onOpenDiary }: Props) {
  const { t } = useLocale();
  const live = useLiveUpdates();
  return (
    <header className="topbar">
      <Brand />
      {street && (
        <div className="street">
          <strong>{street.name}</strong>
          {street.isDemo && (
            <span className="demo-badge" title={t('demoNotice')}>
              {t('demoBadge')}
            </span>
          )}
        </div>
      )}
      <div className="topbar-end">
        <a className="meeting-link" href="?view=meeting" data-testid="open-meeting">
          {t('meeting_open')}
        </a>
        {onImport && (
          <button type="button" className="import-open" onClick={onImport} data-testid="open-import">
            {t('import_open')}
          </button>
        )}
        {onOpenStaff && (
          <button type="button" className="toggle staff-open" data-testid="open-staff" onClick={onOpenStaff}>
            {t('staff_open')}
          </button>
        )}
        <ProposalsButton me={me} onOpen={onOpenProposals} />
        <LiveIndicator state={live} />
        <AccountBar me={me} onOpenDiary={onOpenDiary} />
        <LanguageSelect />
      </div>
    </header>
  );
}

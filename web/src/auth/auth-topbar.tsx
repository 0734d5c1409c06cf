import type { ReactNode } from 'react';
import { LanguageSelect } from '../i18n/language-select';
import { useLocale } from '../i18n/locale';

/** The bar over the pages shown before the map: the product's name, the language, and what `end` adds. */
export function AuthTopbar({ end }: { end?: ReactNode }) {
  const { t } = useLocale();
  return (
    <header className="topbar">
      <div className="brand">
        <h1>{t('appTitle')}</h1>
        <span className="subtitle">{t('appSubtitle')}</span>
      </div>
      <div className="topbar-end">
        <LanguageSelect />
        {end}
      </div>
    </header>
  );
}

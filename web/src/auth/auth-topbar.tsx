import type { ReactNode } from 'react';
import { LanguageSelect } from '../i18n/language-select';
import { useLocale } from '../i18n/locale';

/** The bar over the pages shown before the map: the product's name, the language, and what `end` adds. */
export function AuthTopbar({ end }: { end?: ReactNode }) {
  return (
    <header className="topbar">
      <Brand />
      <div className="topbar-end">
        <LanguageSelect />
        {end}
      </div>
    </header>
  );
}

/** The product's name and subtitle, at the start of every top bar. */
export function Brand() {
  const { t } = useLocale();
  return (
    <div className="brand">
      <h1>{t('appTitle')}</h1>
      <span className="subtitle">{t('appSubtitle')}</span>
    </div>
  );
}

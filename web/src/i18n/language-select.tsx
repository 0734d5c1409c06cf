import { LOCALE_NAMES, LOCALES, type Locale } from '../../../geo/i18n/strings';
import { useLocale } from './locale';

/** The language switcher, on the sign-in page and in the header alike: it shows the choice at once, the interface follows when its strings have loaded. */
export function LanguageSelect() {
  const { t, locale, pending, setLocale } = useLocale();
  return (
    <label className="lang">
      <span className="lang-label">{t('language')}</span>
      <select
        aria-label={t('language')}
        aria-busy={pending !== null}
        value={pending ?? locale}
        onChange={(e) => setLocale(e.target.value as Locale)}
      >
        {LOCALES.map((l) => (
          <option key={l} value={l}>
            {LOCALE_NAMES[l]}
          </option>
        ))}
      </select>
    </label>
  );
}

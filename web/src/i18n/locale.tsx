import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';
import { LOCALES, type Locale, type StringKey, translate } from '../../../geo/i18n/strings';

const STORAGE_KEY = 'minqing.locale';

/** The URL's ?lang= wins (a shared link), then the user's last choice, then zh-CN. */
function initialLocale(): Locale {
  const fromUrl = new URLSearchParams(window.location.search).get('lang');
  const stored = window.localStorage.getItem(STORAGE_KEY);
  for (const candidate of [fromUrl, stored]) {
    if (candidate && (LOCALES as readonly string[]).includes(candidate)) return candidate as Locale;
  }
  return 'zh-CN';
}

interface LocaleValue {
  locale: Locale;
  setLocale(locale: Locale): void;
  t(key: StringKey, vars?: Record<string, string | number>): string;
}

const LocaleContext = createContext<LocaleValue | null>(null);

export function LocaleProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  const setLocale = useCallback((next: Locale) => {
    window.localStorage.setItem(STORAGE_KEY, next);
    document.documentElement.lang = next;
    setLocaleState(next);
  }, []);
  const value = useMemo<LocaleValue>(() => ({ locale, setLocale, t: (key, vars) => translate(locale, key, vars) }), [locale, setLocale]);
  return <LocaleContext.Provider value={value}>{children}</LocaleContext.Provider>;
}

export function useLocale(): LocaleValue {
  const value = useContext(LocaleContext);
  if (!value) throw new Error('useLocale must be used inside <LocaleProvider>');
  return value;
}

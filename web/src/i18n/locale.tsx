import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import {
  DEFAULT_LOCALE,
  hasStrings,
  LOCALES,
  type Locale,
  registerStrings,
  type StringKey,
  type Strings,
  translate,
} from '../../../geo/i18n/strings';

const STORAGE_KEY = 'minqing.locale';

/**
 * zh-CN comes with the first bundle (geo/i18n/strings.ts imports it); the other languages are
 * separate chunks, fetched the first time someone chooses them. Never import geo/i18n/all-locales.ts
 * or these files statically from web/src (tests/unit/i18n-bundle.test.ts checks).
 */
const LOADERS: Record<Locale, (() => Promise<Strings>) | null> = {
  'zh-CN': null,
  'zh-TW': () => import('../../../geo/i18n/zh-TW').then((m) => m.zhTW),
  en: () => import('../../../geo/i18n/en').then((m) => m.en),
};

/** Registers a language's strings with translate(), fetching its chunk the first time. */
export async function loadLocale(locale: Locale): Promise<void> {
  const load = LOADERS[locale];
  if (hasStrings(locale) || !load) return;
  registerStrings(locale, await load());
}

/** The URL's ?lang= wins (a shared link), then the user's last choice, then zh-CN. */
function initialLocale(): Locale {
  const fromUrl = new URLSearchParams(window.location.search).get('lang');
  const stored = window.localStorage.getItem(STORAGE_KEY);
  for (const candidate of [fromUrl, stored]) {
    if (candidate && (LOCALES as readonly string[]).includes(candidate)) return candidate as Locale;
  }
  return DEFAULT_LOCALE;
}

interface LocaleValue {
  /** The language shown: always one whose strings are loaded, so `t` answers synchronously. */
  locale: Locale;
  /** The language chosen and still loading (the interface stays in `locale` until it arrives), or null. */
  pending: Locale | null;
  setLocale(locale: Locale): void;
  t(key: StringKey, vars?: Record<string, string | number>): string;
}

const LocaleContext = createContext<LocaleValue | null>(null);

export function LocaleProvider({ children }: { children: ReactNode }) {
  const [initial] = useState(initialLocale);
  // Null only while a first language other than zh-CN loads (a shared ?lang=en link): nothing is
  // rendered for that moment rather than a flash of Chinese.
  const [shown, setShown] = useState<Locale | null>(() => (hasStrings(initial) ? initial : null));
  const [pending, setPending] = useState<Locale | null>(null);
  // The last choice: a slower earlier load must not replace it when it arrives.
  const wanted = useRef<Locale>(initial);

  const show = useCallback((next: Locale) => {
    wanted.current = next;
    if (hasStrings(next)) {
      setPending(null);
      setShown(next);
      return;
    }
    setPending(next);
    loadLocale(next).then(
      () => {
        if (wanted.current !== next) return;
        setPending(null);
        setShown(next);
      },
      (error: unknown) => {
        // Offline, or a deploy replaced the chunk: stay in the language shown (zh-CN at first).
        console.error(`could not load the ${next} strings`, error);
        if (wanted.current !== next) return;
        setPending(null);
        setShown((current) => current ?? DEFAULT_LOCALE);
      },
    );
  }, []);

  useEffect(() => {
    if (!hasStrings(initial)) show(initial);
  }, [initial, show]);

  useEffect(() => {
    if (shown) document.documentElement.lang = shown;
  }, [shown]);

  const setLocale = useCallback(
    (next: Locale) => {
      window.localStorage.setItem(STORAGE_KEY, next);
      show(next);
    },
    [show],
  );
  const locale = shown ?? DEFAULT_LOCALE;
  const value = useMemo<LocaleValue>(
    () => ({ locale, pending, setLocale, t: (key, vars) => translate(locale, key, vars) }),
    [locale, pending, setLocale],
  );
  if (!shown) return null;
  return <LocaleContext.Provider value={value}>{children}</LocaleContext.Provider>;
}

export function useLocale(): LocaleValue {
  const value = useContext(LocaleContext);
  if (!value) throw new Error('useLocale must be used inside <LocaleProvider>');
  return value;
}

/**
 * The typed entry to every piece of UI text, shared by the web app and the API (which names metrics
 * and bands in /api/legend so map, legend and printed reports say the same thing). One file per
 * language: zh-CN.ts is the default and the source of keys; zh-TW.ts and en.ts `satisfies Strings`,
 * so a missing or an extra key is a compile error.
 *
 * Only zh-CN is imported here, so it is the only language in the web app's first bundle; the others
 * are registered when they arrive: the API imports geo/i18n/all-locales.ts (all three, synchronously),
 * the web app imports a language when the user chooses it (web/src/i18n/locale.tsx). `translate`
 * stays synchronous and throws for a language nobody registered, rather than answering in another.
 */
import { zhCN } from './zh-CN';

export const LOCALES = ['zh-CN', 'zh-TW', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'zh-CN';

export type StringKey = keyof typeof zhCN;
export type Strings = Record<StringKey, string>;

export const LOCALE_NAMES: Record<Locale, string> = { 'zh-CN': '简体中文', 'zh-TW': '繁體中文', en: 'English' };

const loaded: Partial<Record<Locale, Strings>> = { 'zh-CN': zhCN };

/** Makes a language's strings available to `translate` (all-locales.ts on the server, the locale provider on the web). */
export function registerStrings(locale: Locale, strings: Strings): void {
  loaded[locale] = strings;
}

export function hasStrings(locale: Locale): boolean {
  return loaded[locale] !== undefined;
}

/** A registered language's strings; throws for one not registered yet. */
export function stringsOf(locale: Locale): Strings {
  const strings = loaded[locale];
  if (!strings)
    throw new Error(
      `The ${locale} strings are not loaded (the API imports geo/i18n/all-locales.ts; the web app loads a language before showing it)`,
    );
  return strings;
}

/** Whether a key computed at run time (an error or problem code) has a text; every language has the same keys. */
export function isStringKey(key: string): key is StringKey {
  return Object.hasOwn(zhCN, key);
}

export function translate(locale: Locale, key: StringKey, vars: Record<string, string | number> = {}): string {
  return stringsOf(locale)[key].replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`));
}

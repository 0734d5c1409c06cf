/**
 * The caller's language for the messages of refusals a person reads (the staff forms'), from
 * Accept-Language; the product's default, zh-CN, when it names none we have.
 */
import type { Context } from 'hono';
import type { Locale } from '../../geo/i18n/strings';

export function requestLocale(c: Context): Locale {
  for (const part of (c.req.header('accept-language') ?? '').split(',')) {
    const tag = part.split(';')[0]!.trim().toLowerCase();
    if (/^zh-(tw|hk|mo|hant)/.test(tag)) return 'zh-TW';
    if (tag.startsWith('zh')) return 'zh-CN';
    if (tag.startsWith('en')) return 'en';
  }
  return 'zh-CN';
}

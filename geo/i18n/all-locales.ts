/**
 * Every language at once, synchronously: the API's entry (api/app.ts imports it) and the tests'.
 * Importing this module registers zh-TW and English with `translate`. The web app must not import it
 * (that would put all three languages back in its first bundle; tests/unit/i18n-bundle.test.ts checks).
 */
import { en } from './en';
import { type Locale, registerStrings, type Strings } from './strings';
import { zhCN } from './zh-CN';
import { zhTW } from './zh-TW';

registerStrings('zh-TW', zhTW);
registerStrings('en', en);

export const STRINGS: Record<Locale, Strings> = { 'zh-CN': zhCN, 'zh-TW': zhTW, en };

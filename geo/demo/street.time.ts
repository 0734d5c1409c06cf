/**
 * Calendar arithmetic for the demo street. Everything happens in Nanchang (+08:00), so times are
 * kept as integer "local minutes since 1970-01-01 00:00 +08:00" and days as local day numbers.
 * Date is used only through its UTC fields on explicit values: no clock, no host time zone.
 */
import type { IsoDate, IsoTime } from './demo-street.types';

export const MINUTES_PER_DAY = 1440;

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Day number of an ISO date `YYYY-MM-DD`; throws on anything else so a typo cannot shift the data. */
export function parseIsoDate(date: IsoDate): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new RangeError(`expected an ISO date YYYY-MM-DD, got ${JSON.stringify(date)}`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw new RangeError(`not a calendar date: ${date}`);
  }
  return ms / 86_400_000;
}

/** Formatted dates by day number: a large street formats a million timestamps over a few hundred days. */
const dateCache = new Map<number, IsoDate>();

export function isoDate(day: number): IsoDate {
  let s = dateCache.get(day);
  if (s === undefined) {
    const t = new Date(day * 86_400_000);
    s = `${t.getUTCFullYear()}-${pad2(t.getUTCMonth() + 1)}-${pad2(t.getUTCDate())}`;
    if (dateCache.size < 100_000) dateCache.set(day, s);
  }
  return s;
}

const clock = Array.from({ length: MINUTES_PER_DAY }, (_, m) => `T${pad2(Math.floor(m / 60))}:${pad2(m % 60)}:00+08:00`);

export function isoTime(minutes: number): IsoTime {
  const m = Math.floor(minutes);
  const day = Math.floor(m / MINUTES_PER_DAY);
  return isoDate(day) + (clock[m - day * MINUTES_PER_DAY] as string);
}

/** Calendar year and month (1–12) of a day, for registration numbers. */
export function yearMonth(day: number): { year: number; month: number } {
  const t = new Date(day * 86_400_000);
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1 };
}

/** The same day of the month `months` months earlier, clamped to the month's end (31 May − 3 → 28/29 Feb). */
export function monthsBefore(day: number, months: number): number {
  const t = new Date(day * 86_400_000);
  const y = t.getUTCFullYear();
  const m = t.getUTCMonth() - months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return Date.UTC(y, m, Math.min(t.getUTCDate(), lastDay)) / 86_400_000;
}

/** 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday). */
export function weekday(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

export function isWeekend(day: number): boolean {
  const w = weekday(day);
  return w === 0 || w === 6;
}

export const dayOfMinute = (minutes: number) => Math.floor(minutes / MINUTES_PER_DAY);
export const minuteOfDay = (minutes: number) => minutes - dayOfMinute(minutes) * MINUTES_PER_DAY;

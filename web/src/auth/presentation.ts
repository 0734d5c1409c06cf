/**
 * Projector mode: while on, every request carries `X-Presentation: 1` and the server masks every
 * personal field whatever the role. It is kept across reloads because the laptop on the meeting
 * room's projector is exactly the one that must not fall back to full data after a refresh.
 */
import { useSyncExternalStore } from 'react';

const STORAGE_KEY = 'minqing.presentation';

const listeners = new Set<() => void>();
let on = window.localStorage.getItem(STORAGE_KEY) === '1';

export function presentationOn(): boolean {
  return on;
}

export function setPresentation(next: boolean) {
  on = next;
  if (next) window.localStorage.setItem(STORAGE_KEY, '1');
  else window.localStorage.removeItem(STORAGE_KEY);
  for (const l of listeners) l();
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function usePresentation(): boolean {
  return useSyncExternalStore(subscribe, presentationOn);
}

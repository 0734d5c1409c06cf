/**
 * The signed-in session: the access token every API request carries, kept in localStorage so a
 * reload stays signed in, and dropped when it expires, when the server answers 401, or on sign-out.
 * A plain external store (no React state) because the API client reads it outside components.
 */
import { useSyncExternalStore } from 'react';

const STORAGE_KEY = 'minqing.session';

export type SessionMode = 'local' | 'supabase';

export interface Session {
  token: string;
  /** ms since the epoch */
  expiresAt: number;
  mode: SessionMode;
  /** The token's subject: a new one means another user, whose data must not meet the last one's cache. */
  userId: string;
}

/** Why the user sees the sign-in page again; 'expired' earns a sentence there, a sign-out does not. */
export type SignOutReason = 'signed-out' | 'expired';

interface State {
  session: Session | null;
  lastSignOut: SignOutReason | null;
}

const listeners = new Set<() => void>();
const endListeners = new Set<() => void>();
let expiryTimer: ReturnType<typeof setTimeout> | undefined;
let state: State = { session: readStored(), lastSignOut: null };
scheduleExpiry();

function claims(token: string): { exp?: number; sub?: string; must_change_password?: boolean } {
  try {
    const payload = token.split('.')[1] ?? '';
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    return JSON.parse(json) as { exp?: number; sub?: string; must_change_password?: boolean };
  } catch {
    return {};
  }
}

function readStored(): Session | null {
  try {
    const raw = window.localStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Partial<Session>;
    if (typeof s.token !== 'string' || typeof s.expiresAt !== 'number' || s.expiresAt <= Date.now()) return null;
    return { token: s.token, expiresAt: s.expiresAt, mode: s.mode === 'supabase' ? 'supabase' : 'local', userId: String(s.userId ?? '') };
  } catch {
    return null;
  }
}

function set(next: State) {
  state = next;
  if (next.session) window.localStorage.setItem(STORAGE_KEY, JSON.stringify(next.session));
  else window.localStorage.removeItem(STORAGE_KEY);
  scheduleExpiry();
  for (const l of listeners) l();
}

function scheduleExpiry() {
  clearTimeout(expiryTimer);
  const s = state.session;
  // setTimeout overflows past ~24.8 days; such a token is re-checked on the next request anyway.
  if (s) expiryTimer = setTimeout(() => signOut('expired'), Math.min(s.expiresAt - Date.now(), 2 ** 31 - 1));
}

/**
 * Starts (or, for a refreshed Supabase token, renews) the session. The expiry is the earlier of
 * the server's expires_in and the token's own exp, so a clock-skewed expires_in cannot outlive it.
 */
export function startSession(token: string, expiresInSeconds: number, mode: SessionMode) {
  const c = claims(token);
  const fromExpiresIn = Date.now() + expiresInSeconds * 1000;
  const expiresAt = typeof c.exp === 'number' ? Math.min(c.exp * 1000, fromExpiresIn) : fromExpiresIn;
  const previous = state.session;
  const userId = c.sub ?? '';
  if (previous && previous.userId !== userId) endSession();
  set({ session: { token, expiresAt, mode, userId }, lastSignOut: null });
}

/** The token was issued for a one-time password: the app asks for a new one before anything else. */
export function mustChangePassword(session: Session): boolean {
  return claims(session.token).must_change_password === true;
}

function endSession() {
  for (const l of endListeners) l();
}

export function signOut(reason: SignOutReason = 'signed-out') {
  if (!state.session) return;
  endSession();
  set({ session: null, lastSignOut: reason });
}

/** The token to send, or null; an expired one is never sent. */
export function currentToken(): string | null {
  const s = state.session;
  if (!s) return null;
  if (s.expiresAt <= Date.now()) {
    signOut('expired');
    return null;
  }
  return s.token;
}

/** Runs when a session ends (sign-out, expiry, 401, another user): the place to drop cached server data. */
export function onSessionEnd(listener: () => void): () => void {
  endListeners.add(listener);
  return () => endListeners.delete(listener);
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useSession(): State {
  return useSyncExternalStore(subscribe, () => state);
}

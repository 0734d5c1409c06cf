/**
 * Signing in, in either of the deployment's modes: local accounts through POST /api/auth/login,
 * or a Supabase project's own auth (whose access token the API verifies the same way). Either
 * way the result is one bearer token in the session store.
 */
import type { SupabaseClient } from '@supabase/supabase-js';
import { useEffect } from 'react';
import { ApiRequestError, type AuthConfig, logIn } from '../api';
import { onSessionEnd, signOut, startSession, useSession } from './session';

export type SignInFailure = 'invalid_credentials' | 'rate_limited' | 'other';

export class SignInError extends Error {
  constructor(
    readonly kind: SignInFailure,
    message: string,
  ) {
    super(message);
  }
}

function failure(status: number | undefined, code: string | undefined, message: string): SignInError {
  // Supabase answers a wrong password with 400 invalid_credentials; the local API with 401.
  if (status === 401 || code === 'invalid_credentials') return new SignInError('invalid_credentials', message);
  if (status === 429) return new SignInError('rate_limited', message);
  return new SignInError('other', message);
}

export async function signIn(config: AuthConfig, email: string, password: string): Promise<void> {
  if (config.mode === 'supabase' && config.supabase) {
    const supabase = await supabaseAuth(config.supabase);
    const { data, error } = await supabase.auth.signInWithPassword({ email, password });
    if (error || !data.session) throw failure(error?.status, error?.code, error?.message ?? 'no session');
    startSession(data.session.access_token, data.session.expires_in, 'supabase');
    return;
  }
  try {
    const { access_token, expires_in } = await logIn(email, password);
    startSession(access_token, expires_in, 'local');
  } catch (err) {
    if (err instanceof ApiRequestError) throw failure(err.status, err.code, err.message);
    throw new SignInError('other', err instanceof Error ? err.message : String(err));
  }
}

let supabase: { key: string; client: Promise<SupabaseClient> } | null = null;

/**
 * One Supabase client per page, loaded on demand so a local-mode deployment never downloads it.
 * It refreshes the token before expiry; each refresh renews the session the API client reads.
 */
export function supabaseAuth({ url, anonKey }: { url: string; anonKey: string }): Promise<SupabaseClient> {
  const key = `${url} ${anonKey}`;
  if (supabase?.key === key) return supabase.client;
  const client = import('@supabase/supabase-js').then(({ createClient }) => {
    const sb = createClient(url, anonKey, { auth: { persistSession: true, autoRefreshToken: true, storageKey: 'minqing.supabase' } });
    sb.auth.onAuthStateChange((event, session) => {
      if (session && (event === 'SIGNED_IN' || event === 'TOKEN_REFRESHED')) {
        startSession(session.access_token, session.expires_in, 'supabase');
      } else if (event === 'SIGNED_OUT') {
        signOut();
      }
    });
    // Ending our session (sign-out, 401, expiry) must end Supabase's too, or it would refresh back in.
    onSessionEnd(() => void sb.auth.signOut());
    return sb;
  });
  supabase = { key, client };
  return client;
}

/** After a reload in Supabase mode, brings back the client that keeps the token fresh. */
export function useSupabaseRefresh(config: AuthConfig | undefined) {
  const { session } = useSession();
  const project = session?.mode === 'supabase' && config?.mode === 'supabase' ? config.supabase : null;
  useEffect(() => {
    if (project) void supabaseAuth(project);
  }, [project]);
}

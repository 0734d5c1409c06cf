/**
 * Supabase mode: a new staff member's sign-in is the project's Auth user with their email. When
 * the server has the project's service-role key it invites them (GoTrue's POST /auth/v1/invite
 * sends the email with the link to set a password); without it, the record waits for the user
 * to sign up, and links at the next change by whoever manages them (minqing.link_auth_user).
 */
export interface SupabaseAdmin {
  url: string;
  serviceRoleKey: string;
}

export class InviteError extends Error {}

/** Invites `email` to the project; answers the Auth user's id. */
export async function inviteAuthUser(admin: SupabaseAdmin, email: string, fetchImpl: typeof fetch = fetch): Promise<string> {
  const res = await fetchImpl(new URL('/auth/v1/invite', admin.url), {
    method: 'POST',
    headers: { apikey: admin.serviceRoleKey, authorization: `Bearer ${admin.serviceRoleKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json().catch(() => null)) as { id?: unknown; msg?: unknown; message?: unknown } | null;
  if (!res.ok || typeof body?.id !== 'string') {
    throw new InviteError(
      `Supabase Auth did not invite ${email} (HTTP ${res.status}: ${String(body?.msg ?? body?.message ?? 'no message')})`,
    );
  }
  return body.id;
}

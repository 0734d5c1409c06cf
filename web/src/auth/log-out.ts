/**
 * 退出: the server revokes this token first (so a copy of it left anywhere stops working), then
 * the browser forgets it. A failed call still signs out here: leaving must always work.
 */
import { client } from '../api';
import { signOut } from './session';

export async function logOut(): Promise<void> {
  try {
    await client.api.auth.logout.$post();
  } catch {
    // Offline or the server is gone: the token expires on its own within the hour.
  }
  signOut();
}

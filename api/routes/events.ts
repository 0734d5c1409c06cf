/**
 * GET /api/events — server-sent events telling open maps what changed, so they recolour without a
 * reload. Read with fetch (not EventSource) so the token travels in the Authorization header,
 * never in the URL. Messages carry table names and grid ids only.
 *
 * A stream outlives the request check that opened it, so the session is checked again at every
 * wake (a change or the heartbeat): a disabled account's, a signed-out or expired token's stream
 * ends within a heartbeat, and the client's reconnect meets the 401 that signs the page out.
 */
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { AppDeps } from '../app';
import type { SessionCheck } from '../auth/session-check';
import type { AppEnv } from '../lib/request-db';
import type { Change } from '../live/change-feed';

const HEARTBEAT_MS = 25_000;

export function eventRoutes({
  changes,
  check,
  heartbeatMs = HEARTBEAT_MS,
}: Pick<Required<AppDeps>, 'changes'> & { check: SessionCheck; heartbeatMs?: number }) {
  return new Hono<AppEnv>().get('/', (c) =>
    streamSSE(c, async (stream) => {
      const claims = c.get('claims');
      const stands = async () => (typeof claims.exp !== 'number' || claims.exp * 1000 > Date.now()) && (await check(claims)) === 'ok';
      const queue: Change[] = [];
      let wake: (() => void) | undefined;
      const unsubscribe = await changes.subscribe((change) => {
        queue.push(change);
        wake?.();
      });
      stream.onAbort(() => {
        unsubscribe();
        wake?.();
      });
      await stream.writeSSE({ event: 'ready', data: '{}' });
      let id = 0;
      while (!stream.aborted && !stream.closed) {
        const next = queue.shift();
        if (next) {
          await stream.writeSSE({ event: 'change', data: JSON.stringify(next), id: String(++id) });
          continue;
        }
        // Wait for a change or the heartbeat that keeps proxies from closing an idle stream.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, heartbeatMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
        if (stream.aborted || !(await stands())) break;
        if (queue.length === 0) await stream.writeSSE({ event: 'heartbeat', data: '{}' });
      }
      unsubscribe();
    }),
  );
}

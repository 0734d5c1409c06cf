/**
 * Live maps: while signed in, one event stream per page; each committed visit, issue or patrol
 * anywhere in the street marks the cached figures it touched as stale, and TanStack Query
 * refetches what is on screen — so every open map recolours within a second or two, no reload.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { openEventStream, refreshAfterChange } from '../api';
import { useSession } from '../auth/session';
import { followEventStream, type StreamState } from './event-stream';
import { setLiveStreamOpen } from './live-state';

export function useLiveUpdates(): StreamState {
  const queryClient = useQueryClient();
  const userId = useSession().session?.userId ?? null;
  const [state, setState] = useState<StreamState>('connecting');
  useEffect(() => {
    if (userId === null) return;
    const abort = new AbortController();
    void followEventStream({
      open: openEventStream,
      signal: abort.signal,
      onState: (s) => {
        setLiveStreamOpen(s === 'open');
        setState(s);
      },
      // Whatever happened while the stream was down is unknown: refresh everything live.
      onReconnected: () => refreshAfterChange(queryClient, null),
      onMessage: (m) => {
        if (m.event !== 'change') return;
        let tables: string[] | null = null;
        try {
          const parsed = JSON.parse(m.data) as { tables?: unknown };
          if (Array.isArray(parsed.tables)) tables = parsed.tables.map(String);
        } catch {
          // An unreadable message still says something changed.
        }
        refreshAfterChange(queryClient, tables);
      },
    });
    return () => {
      abort.abort();
      setLiveStreamOpen(false);
    };
  }, [userId, queryClient]);
  return state;
}

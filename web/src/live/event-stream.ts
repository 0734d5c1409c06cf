/**
 * Server-sent events read with fetch, because EventSource cannot send an Authorization header
 * and tokens never go in URLs. Two small parts: a parser for the text/event-stream format (as
 * the HTML standard defines it: any line ending, multi-line data, comments), and a loop that
 * keeps one stream open, reconnecting with growing, jittered delays after a drop.
 */

export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

/** Returns a function that takes the stream's text in arbitrary chunks and calls onMessage per message. */
export function sseParser(onMessage: (m: SseMessage) => void): (chunk: string) => void {
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  return (chunk) => {
    buffer += chunk;
    for (;;) {
      const end = /\r\n|\n|\r/.exec(buffer);
      // A final CR may be the first half of CRLF: wait for the next chunk to know.
      if (!end || (end[0] === '\r' && end.index === buffer.length - 1)) return;
      const line = buffer.slice(0, end.index);
      buffer = buffer.slice(end.index + end[0].length);
      if (line === '') {
        if (data.length > 0) onMessage({ event: event || 'message', data: data.join('\n'), ...(id === undefined ? {} : { id }) });
        event = '';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const raw = colon < 0 ? '' : line.slice(colon + 1);
      const value = raw.startsWith(' ') ? raw.slice(1) : raw;
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id' && !value.includes('\0')) id = value;
    }
  };
}

export type StreamState = 'connecting' | 'open' | 'offline';

export interface FollowOptions {
  /** Opens the stream; called again for every reconnection (so it can send a fresh token). */
  open(signal: AbortSignal): Promise<Response>;
  onMessage(m: SseMessage): void;
  onState(s: StreamState): void;
  /** Called when a stream opens after an earlier one dropped: changes in between were missed. */
  onReconnected(): void;
  signal: AbortSignal;
  /** A stream silent this long is presumed dead (the server sends a heartbeat every 25 s). */
  silenceMs?: number;
  /** Delay before the n-th retry in a row (n from 0). */
  backoffMs?(attempt: number): number;
}

/** 1 s, 2 s, 4 s … up to 30 s, each with up to a fifth of jitter so a street's phones do not return at once. */
export function defaultBackoff(attempt: number): number {
  const base = Math.min(30_000, 1000 * 2 ** attempt);
  return base * (0.8 + Math.random() * 0.2);
}

/** Keeps a stream open until `signal` aborts. 401 and 403 end it: retrying cannot help. */
export async function followEventStream(o: FollowOptions): Promise<void> {
  const silenceMs = o.silenceMs ?? 60_000;
  const backoff = o.backoffMs ?? defaultBackoff;
  let attempt = 0;
  let droppedBefore = false;
  while (!o.signal.aborted) {
    o.onState('connecting');
    const attemptAbort = new AbortController();
    const stop = () => attemptAbort.abort();
    o.signal.addEventListener('abort', stop);
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    const feed = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(stop, silenceMs);
    };
    try {
      const res = await o.open(attemptAbort.signal);
      if (res.status === 401 || res.status === 403) {
        o.onState('offline');
        return;
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      feed();
      const parse = sseParser((m) => {
        if (m.event === 'ready') {
          attempt = 0;
          o.onState('open');
          if (droppedBefore) o.onReconnected();
        }
        o.onMessage(m);
      });
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        feed();
        parse(value);
      }
    } catch {
      // A drop, a refused connection or our own abort: decided below.
    } finally {
      clearTimeout(watchdog);
      o.signal.removeEventListener('abort', stop);
    }
    if (o.signal.aborted) return;
    droppedBefore = true;
    o.onState('offline');
    await sleep(backoff(attempt++), o.signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

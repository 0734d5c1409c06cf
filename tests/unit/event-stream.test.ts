/**
 * The web app's reader of GET /api/events: the text/event-stream parser, and the loop that keeps a
 * stream open (reconnecting after a drop, refreshing what was missed, giving up on 401).
 */
import { describe, expect, it } from 'vitest';
import { followEventStream, type SseMessage, type StreamState, sseParser } from '../../web/src/live/event-stream';

function parseAll(chunks: string[]): SseMessage[] {
  const out: SseMessage[] = [];
  const push = sseParser((m) => out.push(m));
  for (const c of chunks) push(c);
  return out;
}

describe('the event-stream parser', () => {
  it('reads the messages the API sends', () => {
    const text = 'event: ready\ndata: {}\n\nevent: change\ndata: {"tables":["visits"],"gridIds":[1]}\nid: 1\n\n';
    expect(parseAll([text])).toEqual([
      { event: 'ready', data: '{}' },
      { event: 'change', data: '{"tables":["visits"],"gridIds":[1]}', id: '1' },
    ]);
  });

  it('gives the same messages however the stream is cut into chunks, CRLF split included', () => {
    const text = 'event: change\r\ndata: {"tables":["issues"]}\r\n\r\n: a comment\r\nevent: heartbeat\r\ndata: {}\r\n\r\n';
    const whole = parseAll([text]);
    expect(whole.map((m) => m.event)).toEqual(['change', 'heartbeat']);
    for (let cut = 1; cut < text.length; cut++) expect(parseAll([text.slice(0, cut), text.slice(cut)])).toEqual(whole);
    expect(parseAll([...text])).toEqual(whole);
  });

  it('joins multi-line data, defaults the event name, and skips messages without data', () => {
    expect(parseAll(['data: a\ndata:b\n\nevent: empty\n\ndata\n\n'])).toEqual([
      { event: 'message', data: 'a\nb' },
      { event: 'message', data: '' },
    ]);
  });

  it('waits for the blank line before delivering a message', () => {
    expect(parseAll(['event: change\ndata: {}\n'])).toEqual([]);
  });
});

/** A response whose body is the given chunks, then the end of the stream. */
function streamOf(chunks: string[], status = 200): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
      controller.close();
    },
  });
  return new Response(body, { status, headers: { 'content-type': 'text/event-stream' } });
}

describe('following the event stream', () => {
  it('reconnects after a drop, says so once the new stream is ready, and stops when aborted', async () => {
    const abort = new AbortController();
    const states: StreamState[] = [];
    const events: string[] = [];
    let opened = 0;
    let reconnected = 0;
    await followEventStream({
      signal: abort.signal,
      backoffMs: () => 0,
      open: async () => {
        opened++;
        if (opened === 3) abort.abort();
        return streamOf(['event: ready\ndata: {}\n\n', `event: change\ndata: {"n":${opened}}\n\n`]);
      },
      onMessage: (m) => events.push(`${m.event}${m.event === 'change' ? m.data : ''}`),
      onState: (s) => states.push(s),
      onReconnected: () => reconnected++,
    });
    expect(opened).toBe(3);
    expect(events).toEqual(['ready', 'change{"n":1}', 'ready', 'change{"n":2}', 'ready', 'change{"n":3}']);
    // The first stream is not a reconnection; the second and third are.
    expect(reconnected).toBe(2);
    expect(states.slice(0, 4)).toEqual(['connecting', 'open', 'offline', 'connecting']);
  });

  it('gives up without retrying when the server refuses the token', async () => {
    let opened = 0;
    const states: StreamState[] = [];
    await followEventStream({
      signal: new AbortController().signal,
      backoffMs: () => 0,
      open: async () => {
        opened++;
        return new Response('{"error":{}}', { status: 401 });
      },
      onMessage: () => undefined,
      onState: (s) => states.push(s),
      onReconnected: () => undefined,
    });
    expect(opened).toBe(1);
    expect(states).toEqual(['connecting', 'offline']);
  });

  it('retries a server error with growing delays', async () => {
    const abort = new AbortController();
    const delays: number[] = [];
    let opened = 0;
    await followEventStream({
      signal: abort.signal,
      backoffMs: (attempt) => {
        delays.push(attempt);
        return 0;
      },
      open: async () => {
        if (++opened === 4) abort.abort();
        return new Response('', { status: 503 });
      },
      onMessage: () => undefined,
      onState: () => undefined,
      onReconnected: () => undefined,
    });
    expect(delays).toEqual([0, 1, 2]);
  });

  it('treats a silent stream as dead and opens a new one', async () => {
    const abort = new AbortController();
    let opened = 0;
    await followEventStream({
      signal: abort.signal,
      backoffMs: () => 0,
      silenceMs: 50,
      open: async (signal) => {
        if (++opened === 2) {
          abort.abort();
          return streamOf([]);
        }
        // Headers, then nothing: the connection hangs until the watchdog aborts it.
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            signal.addEventListener('abort', () => controller.error(new Error('aborted')));
          },
        });
        return new Response(body, { status: 200 });
      },
      onMessage: () => undefined,
      onState: () => undefined,
      onReconnected: () => undefined,
    });
    expect(opened).toBe(2);
  });
});

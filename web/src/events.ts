/**
 * The sandbox's event stream (`GET /api/v1/events/stream`, Server-Sent Events). EventSource
 * cannot send the Authorization header, so the stream is read with fetch (a cookie session's
 * cookie goes along, same-origin) and parsed here; on a
 * drop it reconnects with the last event id, so nothing is missed.
 */
import { authHeaders, type Session, type TernEvent } from './api';

export type StreamState = 'connecting' | 'live' | 'offline';

export interface EventStream {
  subscribe(listener: (event: TernEvent) => void): () => void;
  onState(listener: (state: StreamState) => void): () => void;
  close(): void;
}

/** Parses SSE text into events; returns the unparsed rest. */
export function parseSse(buffer: string, emit: (id: string, data: string) => void): string {
  const blocks = buffer.split(/\r?\n\r?\n/);
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let id = '';
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('id:')) id = line.slice(3).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length > 0) emit(id, data.join('\n'));
  }
  return rest;
}

export function openEventStream(session: Session): EventStream {
  const listeners = new Set<(event: TernEvent) => void>();
  const stateListeners = new Set<(state: StreamState) => void>();
  let lastEventId = '';
  let closed = false;
  let controller: AbortController | undefined;
  let retryMs = 1000;
  let state: StreamState = 'connecting';
  const setState = (next: StreamState) => {
    state = next;
    for (const listener of stateListeners) listener(next);
  };

  const run = async () => {
    while (!closed) {
      controller = new AbortController();
      try {
        const headers: Record<string, string> = {
          ...authHeaders(session),
          accept: 'text/event-stream',
        };
        if (lastEventId) headers['last-event-id'] = lastEventId;
        const res = await fetch('/api/v1/events/stream', {
          headers,
          credentials: 'same-origin',
          signal: controller.signal,
        });
        if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
        setState('live');
        retryMs = 1000;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer = parseSse(buffer + value, (id, data) => {
            if (id) lastEventId = id;
            try {
              const event = JSON.parse(data) as TernEvent;
              for (const listener of listeners) listener(event);
            } catch {
              // A malformed event is skipped; the next one carries on.
            }
          });
        }
      } catch {
        // Dropped or refused: wait, then resume from the last event seen.
      }
      if (closed) break;
      setState('offline');
      await new Promise((resolve) => setTimeout(resolve, retryMs));
      retryMs = Math.min(retryMs * 2, 15_000);
    }
  };
  void run();

  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onState(listener) {
      stateListeners.add(listener);
      listener(state);
      return () => stateListeners.delete(listener);
    },
    close() {
      closed = true;
      controller?.abort();
    },
  };
}

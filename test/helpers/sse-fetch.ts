// A Server-Sent Events stream read with Node's fetch, parsed as it arrives (the format from the
// HTML standard, no library), with a way to await the events a test is waiting for.

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

export interface SseStreamHandle {
  readonly status: number;
  readonly events: SseEvent[];
  /** Resolves once `check` holds for the events so far (re-checked on every event). */
  until(check: (events: SseEvent[]) => boolean, what: string, timeoutMs?: number): Promise<SseEvent[]>;
  /** Resolves when the server has ended the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

function parseBlock(block: string): SseEvent | null {
  const e: SseEvent = { event: 'message', data: '' };
  let hasData = false;
  for (const line of block.split('\n')) {
    if (line.startsWith('id: ')) e.id = line.slice(4);
    else if (line.startsWith('event: ')) e.event = line.slice(7);
    else if (line.startsWith('data: ')) {
      e.data += line.slice(6);
      hasData = true;
    }
  }
  return hasData ? e : null;
}

/** Opens `url` as an event stream; resolves once the response headers are in. */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStreamHandle> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const events: SseEvent[] = [];
  const watchers = new Set<() => void>();
  const ended = (async () => {
    if (res.body === null) return;
    const decoder = new TextDecoder();
    let buffer = '';
    const body = res.body.getReader();
    try {
      for (;;) {
        const { done, value } = await body.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const e = parseBlock(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
          if (e !== null) events.push(e);
        }
        for (const w of watchers) w();
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    status: res.status,
    events,
    ended,
    until: (check, what, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const watcher = () => {
          if (!check(events)) return;
          watchers.delete(watcher);
          clearTimeout(timer);
          resolve(events);
        };
        const timer = setTimeout(() => {
          watchers.delete(watcher);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; events: ${JSON.stringify(events).slice(0, 400)}`));
        }, timeoutMs);
        watchers.add(watcher);
        watcher();
      }),
    close: () => abort.abort(),
  };
}

/** The headlines among `events`, parsed. */
export const sseHeadlines = (events: readonly SseEvent[]): { seq: number; text: string; status: string }[] =>
  events.filter((e) => e.event === 'headline').map((e) => JSON.parse(e.data) as { seq: number; text: string; status: string });

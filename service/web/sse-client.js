// sse-client.js: the browser client of sse-relay. An ES module, no build step, no
// dependencies. It wraps EventSource with what a live UI needs to stay exact:
//   - status: connecting | connected | reconnecting | disconnected | error
//   - resume from the last event id (EventSource's own Last-Event-ID on its first retry,
//     `?since=` whenever a new EventSource is built), exponential backoff with jitter
//     (capped at 30 s) when retries keep failing
//   - system.sse.resync, or a new relay instance whose history is behind ours: refetch
//     the snapshot (GET /api/workers) and resume with `?since=` from it
//   - system.sse.shutdown: "server restarting", reconnect after reconnect_ms
//   - polling fallback (ETag) when EventSource is missing or fails N times in a row, and
//     back to SSE once it works again
//   - pause while the tab is hidden for long, resume with replay when it is visible
//   - relays that want a token (RELAY_JWT_*): `getToken()` is asked before the first
//     connect, after system.sse.reauth (the token expired: the relay closed the stream) and
//     after a failed connect; the stream resumes from the last id, so nothing is lost.
//     getToken may return the token (sent as `Authorization: Bearer` on fetches, and in the
//     URL when `tokenParam` names the relay's RELAY_JWT_QUERY_PARAM) or just refresh the
//     cookie the relay reads and return nothing. `withCredentials` sends that cookie to a
//     relay on another origin (it must list this page's origin in RELAY_CORS_ORIGINS).
//   - handlers run after the event, in one batch per animation frame, so input never waits
//
//   import { SseClient } from '/sse-client.js';
//   const client = new SseClient({ onSnapshot: (s) => render(s.workers) });
//   client.on('worker.status.updated', (data, event) => ...);
//   client.on('*', (data, event) => log(event.type));
//   client.onStatus((status, info) => badge(status, info));
//   client.connect();

export const STATUS = Object.freeze({
  connecting: 'connecting',
  connected: 'connected',
  reconnecting: 'reconnecting',
  disconnected: 'disconnected',
  error: 'error',
});

/** Event types of the relay's worker domain and its own; more are added by on(type). */
export const WORKER_EVENT_TYPES = Object.freeze([
  'worker.created', 'worker.status.updated', 'worker.metrics.updated', 'worker.labs.updated',
  'worker.terminated',
]);
const RELAY_TYPES = ['connected', 'heartbeat', 'system.sse.resync', 'system.sse.shutdown', 'system.sse.reauth'];

const DEFAULTS = {
  url: '/api/events/stream',
  snapshotUrl: '/api/workers', // null: no snapshot (generic, non-worker streams)
  types: null, // ?types= filter, e.g. ['worker.*']
  workers: null, // ?worker= filter
  initialBackoffMs: 1000,
  maxBackoffMs: 30000,
  failuresBeforePolling: 3, // consecutive failed connects before polling the REST model
  pollIntervalMs: 5000,
  sseRetryWhilePollingMs: 15000, // how often to try SSE again while polling
  hiddenPauseMs: 60000, // hidden this long: the stream is closed until the tab is visible
  onSnapshot: null, // (snapshot, reason) => void; reason: initial | resync | poll
  getToken: null, // async () => token | undefined; see the header comment
  withCredentials: false, // send cookies to a relay on another origin
  tokenParam: null, // the relay's RELAY_JWT_QUERY_PARAM, to put the token in the URL
  // (token) => the EventSource's second argument beyond withCredentials (e.g. the npm
  // eventsource package's `fetch`, which can send the token as a header)
  eventSourceInit: null,
};

export class SseClient {
  constructor(options = {}) {
    this.options = { ...DEFAULTS, ...options };
    this.EventSource = options.EventSource ?? globalThis.EventSource;
    this.fetch = options.fetch ?? globalThis.fetch?.bind(globalThis);
    this.status = STATUS.disconnected;
    this.mode = 'sse'; // 'sse' | 'polling'
    this.lastEventId = null;
    this.instanceId = null;
    this.restarting = false; // a system.sse.shutdown was received
    this.restartAttempts = 0; // reconnects that failed since it (two: an error, not a restart)
    this.handlers = new Map(); // type -> Set(handler); '*' for every event
    this.statusHandlers = new Set();
    this.queue = []; // events waiting for the next frame
    this.flushScheduled = false;
    this.failures = 0; // consecutive connects that failed
    this.es = null;
    this.timers = new Set();
    this.etag = null;
    this.token = undefined; // what getToken() last returned
    this.needToken = true; // ask getToken() before the next connect
    this.started = false;
    this.paused = false;
    this.onVisibility = () => this.#visibilityChanged();
  }

  // ---- public API ---------------------------------------------------------------------

  /** Starts (or restarts) the stream. With a snapshot URL the first step is the snapshot. */
  connect() {
    if (this.started) return;
    this.started = true;
    globalThis.document?.addEventListener('visibilitychange', this.onVisibility);
    if (!this.EventSource) {
      this.#startPolling('EventSource is not available');
      return;
    }
    if (this.options.snapshotUrl && this.lastEventId === null) {
      this.#setStatus(STATUS.connecting);
      this.#refetchSnapshot('initial');
    } else {
      this.#open();
    }
  }

  /** Stops everything; status `disconnected`. connect() starts again from the last id. */
  close() {
    this.started = false;
    this.paused = false;
    globalThis.document?.removeEventListener('visibilitychange', this.onVisibility);
    this.#closeStream();
    this.#clearTimers();
    this.mode = 'sse';
    this.#setStatus(STATUS.disconnected);
  }

  /** `type` is an SSE event type or '*'; handler(data, event). Returns an unsubscribe. */
  on(type, handler) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type).add(handler);
    if (type !== '*' && this.es) this.#listen(this.es, type);
    return () => this.off(type, handler);
  }

  off(type, handler) {
    this.handlers.get(type)?.delete(handler);
  }

  /** handler(status, {mode, restarting, failures, reason}); called at once with the current one. */
  onStatus(handler) {
    this.statusHandlers.add(handler);
    handler(this.status, this.#info());
    return () => this.statusHandlers.delete(handler);
  }

  // ---- the stream ---------------------------------------------------------------------

  #streamUrl() {
    const url = new URL(this.options.url, globalThis.location?.href ?? 'http://localhost/');
    for (const t of this.options.types ?? []) url.searchParams.append('types', t);
    for (const w of this.options.workers ?? []) url.searchParams.append('worker', w);
    // A new EventSource cannot carry Last-Event-ID; ?since= is the relay's equivalent.
    if (this.lastEventId) url.searchParams.set('since', this.lastEventId);
    if (this.options.tokenParam && this.token) url.searchParams.set(this.options.tokenParam, this.token);
    return url.toString();
  }

  #newEventSource() {
    return new this.EventSource(this.#streamUrl(), {
      withCredentials: this.options.withCredentials,
      ...(this.options.eventSourceInit?.(this.token) ?? {}),
    });
  }

  /** Asks getToken() when a token is due; false when it failed (the caller backs off). */
  async #refreshToken() {
    if (!this.options.getToken || !this.needToken) return true;
    // Several callers may ask at once (a reauth and a snapshot): one getToken() for all.
    this.tokenRequest ??= (async () => {
      try {
        this.token = (await this.options.getToken()) ?? undefined;
        this.needToken = false;
        return null;
      } catch (e) {
        return e;
      } finally {
        this.tokenRequest = null;
      }
    })();
    const error = await this.tokenRequest;
    if (!error) return true;
    this.#failed(`getToken failed: ${error.message}`);
    return false;
  }

  #fetchInit(headers) {
    if (this.token && !this.options.tokenParam) headers.authorization = `Bearer ${this.token}`;
    return { headers, credentials: this.options.withCredentials ? 'include' : 'same-origin' };
  }

  #open() {
    this.#closeStream();
    if (!this.started) return;
    // An error stays an error until a stream is live again: retrying is not recovering.
    if (this.status !== STATUS.error) {
      this.#setStatus(this.failures === 0 && this.status !== STATUS.reconnecting ? STATUS.connecting : STATUS.reconnecting);
    }
    if (this.options.getToken && this.needToken) {
      // A token first; the stream opens once it is here (unless something else opened one).
      this.#refreshToken().then((ok) => {
        if (ok && this.started && !this.es) this.#openStream();
      });
      return;
    }
    this.#openStream();
  }

  #openStream() {
    let es;
    try {
      es = this.#newEventSource();
    } catch (e) {
      this.#failed(`cannot open the stream: ${e.message}`);
      return;
    }
    this.es = es;
    let openedOnce = false;
    let errorsSinceOpen = 0;
    es.addEventListener('open', () => {
      openedOnce = true;
      errorsSinceOpen = 0;
    });
    es.addEventListener('error', (e) => {
      // An `error` event the relay sent (it has data) is news for handlers, not a failure.
      if (this.es !== es || e.data !== undefined) return;
      errorsSinceOpen += 1;
      if (this.restarting) {
        // The relay announced a restart and its reconnect_ms is over, yet the stream fails:
        // retry once after the backoff, still "restarting"; failing again, it is an error,
        // not a restart that merely takes long (the page must not show stale data as fine).
        this.restartAttempts += 1;
        if (this.restartAttempts >= 2) {
          this.restarting = false;
          this.#failed('the relay did not come back after its restart', STATUS.error);
        } else {
          this.#failed('server restarting');
        }
        return;
      }
      // CONNECTING: the browser retries by itself, honouring retry: and sending
      // Last-Event-ID. Let it, once; if that fails too (or the stream is CLOSED, e.g. a
      // 503), take over with backoff and ?since=.
      if (es.readyState === 0 && errorsSinceOpen < 2) {
        if (this.status !== STATUS.error) this.#setStatus(STATUS.reconnecting);
        return;
      }
      this.#failed(openedOnce ? 'the stream dropped' : 'the stream did not open');
    });
    es.addEventListener('connected', (e) => this.#connected(e));
    es.addEventListener('system.sse.resync', () => {
      if (this.es !== es) return;
      this.#closeStream();
      this.#refetchSnapshot('resync');
    });
    es.addEventListener('system.sse.shutdown', (e) => this.#shutdown(e));
    es.addEventListener('system.sse.reauth', () => {
      if (this.es !== es) return;
      // The token ran out and the relay closed the stream after this frame, having sent
      // nothing past lastEventId: a fresh token and ?since= continue exactly there.
      this.#closeStream();
      this.needToken = true;
      this.#setStatus(STATUS.reconnecting, 'token expired');
      this.#open();
    });
    for (const type of this.#types()) this.#listen(es, type);
  }

  #types() {
    const types = new Set([...WORKER_EVENT_TYPES, ...RELAY_TYPES]);
    for (const type of this.handlers.keys()) if (type !== '*') types.add(type);
    return types;
  }

  #listen(es, type) {
    es.listening ??= new Set();
    if (es.listening.has(type)) return;
    es.listening.add(type);
    es.addEventListener(type, (e) => {
      if (this.es !== es) return;
      // An `error` event sent by the relay has data; EventSource's own connection errors,
      // which share the name, do not.
      if (type === 'error' && e.data === undefined) return;
      if (e.lastEventId) this.lastEventId = e.lastEventId;
      // The shutdown frame is queued by #shutdown (which closes this stream first).
      if (type !== 'system.sse.shutdown') this.#enqueue(type, e);
    });
  }

  #connected(e) {
    let info = {};
    try {
      info = JSON.parse(e.data);
    } catch {
      // a malformed connected event changes nothing
    }
    const previous = this.instanceId;
    this.instanceId = info.instance_id ?? null;
    this.failures = 0;
    this.restarting = false;
    this.restartAttempts = 0;
    this.mode = 'sse';
    this.#clearTimers();
    this.#setStatus(STATUS.connected);
    // Another instance whose newest event is older than what we saw has a different history
    // (a restart with a fresh log): what we hold may include events it never had.
    if (previous && this.instanceId !== previous && this.lastEventId &&
        compareIds(info.last_event_id ?? '0-0', this.lastEventId) < 0 && this.options.snapshotUrl) {
      this.#closeStream();
      this.#refetchSnapshot('resync');
    }
  }

  #shutdown(e) {
    let reconnectMs = 3000;
    try {
      reconnectMs = Number(JSON.parse(e.data).reconnect_ms) || reconnectMs;
    } catch {
      // keep the default
    }
    this.restarting = true;
    this.restartAttempts = 0;
    this.#enqueue('system.sse.shutdown', e);
    this.#closeStream();
    this.#setStatus(STATUS.reconnecting, 'server restarting');
    this.#after(reconnectMs, () => this.#open());
  }

  #failed(reason, status = STATUS.reconnecting) {
    this.#closeStream();
    this.failures += 1;
    // A refused connect may be a token that expired meanwhile: ask for one next time.
    this.needToken = true;
    if (!this.restarting && this.failures >= this.options.failuresBeforePolling && this.options.snapshotUrl) {
      this.#startPolling(reason);
      return;
    }
    // Once in error, a failed retry keeps it there (with the newest reason).
    this.#setStatus(this.status === STATUS.error ? STATUS.error : status, reason);
    this.#after(this.#backoff(), () => this.#open());
  }

  #backoff() {
    return backoffDelay(this.failures, this.options.initialBackoffMs, this.options.maxBackoffMs);
  }

  #closeStream() {
    if (this.es) {
      this.es.close();
      this.es = null;
    }
  }

  // ---- snapshot and polling -------------------------------------------------------------

  async #refetchSnapshot(reason) {
    try {
      if (!(await this.#refreshToken())) return;
      const res = await this.fetch(this.options.snapshotUrl, this.#fetchInit({ accept: 'application/json' }));
      if (!res.ok) throw new Error(`GET ${this.options.snapshotUrl}: ${res.status}`);
      this.etag = res.headers.get('etag');
      const snapshot = await res.json();
      if (!this.started) return;
      this.#applySnapshot(snapshot, reason);
      if (this.mode === 'sse') this.#open();
    } catch (e) {
      if (!this.started) return;
      this.#failed(`snapshot failed: ${e.message}`);
    }
  }

  #applySnapshot(snapshot, reason) {
    // Events queued before the snapshot are part of it: drop them, or they would apply twice.
    this.queue = [];
    this.lastEventId = snapshot.last_event_id ?? this.lastEventId;
    this.options.onSnapshot?.(snapshot, reason);
  }

  #startPolling(reason) {
    this.#closeStream();
    this.#clearTimers();
    this.mode = 'polling';
    this.#setStatus(STATUS.reconnecting, `polling: ${reason}`);
    const poll = async () => {
      if (!this.started || this.mode !== 'polling') return;
      try {
        const headers = { accept: 'application/json' };
        if (this.etag) headers['if-none-match'] = this.etag;
        if (!(await this.#refreshToken())) return;
        const res = await this.fetch(this.options.snapshotUrl, this.#fetchInit(headers));
        if (res.status === 401) this.needToken = true;
        if (res.status === 200) {
          this.etag = res.headers.get('etag');
          const snapshot = await res.json();
          if (this.mode === 'polling') this.#applySnapshot(snapshot, 'poll');
        } else if (res.status !== 304) {
          throw new Error(`HTTP ${res.status}`);
        }
        if (this.status === STATUS.error) this.#setStatus(STATUS.reconnecting, `polling: ${reason}`);
      } catch (e) {
        this.#setStatus(STATUS.error, `polling failed: ${e.message}`);
      }
      if (this.mode === 'polling') this.#after(this.options.pollIntervalMs, poll);
    };
    poll();
    if (this.EventSource) this.#after(this.options.sseRetryWhilePollingMs, () => this.#probeSse());
  }

  // While polling, open a stream from the last snapshot; the first `connected` on it ends
  // polling (see #connected). If it fails, keep polling and try again later.
  #probeSse() {
    if (!this.started || this.mode !== 'polling') return;
    const es = this.#newEventSource();
    const giveUp = () => {
      es.close();
      if (this.es === es) this.es = null;
      if (this.mode === 'polling') this.#after(this.options.sseRetryWhilePollingMs, () => this.#probeSse());
    };
    es.addEventListener('error', giveUp, { once: true });
    es.addEventListener('connected', () => {
      // SSE works again: hand over to a full stream from the last snapshot's id.
      es.removeEventListener('error', giveUp);
      es.close();
      this.mode = 'sse';
      this.failures = 0;
      this.#clearTimers();
      this.#open();
    }, { once: true });
  }

  // ---- visibility ------------------------------------------------------------------------

  #visibilityChanged() {
    if (!this.started) return;
    if (globalThis.document.hidden) {
      this.hiddenTimer = this.#after(this.options.hiddenPauseMs, () => {
        this.paused = true;
        this.#closeStream();
        this.#clearTimers();
        this.#setStatus(STATUS.disconnected, 'paused while the tab is hidden');
      });
      return;
    }
    if (this.hiddenTimer) {
      clearTimeout(this.hiddenTimer);
      this.timers.delete(this.hiddenTimer);
      this.hiddenTimer = null;
    }
    if (this.paused) {
      this.paused = false;
      if (this.mode === 'polling') this.#startPolling('resumed');
      else this.#open(); // ?since= the last id: the relay replays what was missed
    }
  }

  // ---- delivery ----------------------------------------------------------------------------

  #enqueue(type, e) {
    let data = e.data;
    try {
      data = JSON.parse(e.data);
    } catch {
      // not JSON: handlers get the text
    }
    this.queue.push({ type, id: e.lastEventId || null, data });
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const flush = () => {
      this.flushScheduled = false;
      const batch = this.queue;
      this.queue = [];
      for (const event of batch) this.#dispatch(event);
    };
    // One batch per frame while visible; hidden tabs get no frames, so use a timer there.
    if (globalThis.requestAnimationFrame && !globalThis.document?.hidden) requestAnimationFrame(flush);
    else setTimeout(flush, 16);
  }

  #dispatch(event) {
    // The envelope's data is what handlers care about; the event keeps the rest.
    const payload = event.data && typeof event.data === 'object' && 'data' in event.data &&
      'type' in event.data ? event.data.data : event.data;
    for (const set of [this.handlers.get(event.type), this.handlers.get('*')]) {
      for (const handler of set ?? []) {
        try {
          handler(payload, event);
        } catch (err) {
          console.error(`sse-client: a handler of ${event.type} threw`, err);
        }
      }
    }
  }

  // ---- helpers -----------------------------------------------------------------------------

  #setStatus(status, reason = '') {
    const changed = status !== this.status || reason !== this.reason;
    this.status = status;
    this.reason = reason;
    if (!changed) return;
    for (const h of this.statusHandlers) h(status, this.#info());
  }

  #info() {
    return { mode: this.mode, restarting: this.restarting, failures: this.failures, reason: this.reason ?? '' };
  }

  #after(ms, fn) {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  #clearTimers() {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.hiddenTimer = null;
  }
}

/**
 * Delay before reconnect attempt number `failures` (1, 2, ...): initialMs doubled per
 * failure, capped at maxMs, then jittered into its upper half so clients that failed
 * together (a relay restart) do not come back together.
 */
export function backoffDelay(failures, initialMs = 1000, maxMs = 30000, random = Math.random) {
  const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, failures - 1));
  return Math.round(base / 2 + random() * base / 2);
}

/** Orders relay event ids ("<ms>-<seq>"); negative when a < b. */
export function compareIds(a, b) {
  const [am, as] = String(a).split('-').map(Number);
  const [bm, bs] = String(b).split('-').map(Number);
  return am !== bm ? am - bm : (as || 0) - (bs || 0);
}

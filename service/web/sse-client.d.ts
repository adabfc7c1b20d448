// Type declarations of sse-client.js (the sse-relay-client npm package). Checked by
// `tsc --noEmit` against tests/blackbox/client_package/example.ts in make test.

/** The client's state, as onStatus() reports it. */
export declare const STATUS: Readonly<{
  connecting: 'connecting';
  connected: 'connected';
  reconnecting: 'reconnecting';
  disconnected: 'disconnected';
  error: 'error';
}>;
export type Status = (typeof STATUS)[keyof typeof STATUS];

/** The worker domain's event types. */
export declare const WORKER_EVENT_TYPES: readonly [
  'worker.created',
  'worker.status.updated',
  'worker.metrics.updated',
  'worker.labs.updated',
  'worker.terminated',
];

export type WorkerStatus = 'pending' | 'provisioning' | 'running' | 'stopping' | 'stopped' | 'terminated';

export interface Lab {
  lab_id: string;
  title: string;
  state: string;
  node_count: number;
}

export interface WorkerMetrics {
  cpu_percent: number;
  memory_percent: number;
  labs_count: number;
  collected_at: string;
}

/** One row of the read model (GET /api/workers). */
export interface Worker {
  worker_id: string;
  name: string;
  region: string;
  instance_type: string;
  status: WorkerStatus;
  created_at: string;
  updated_at: string;
  terminated_at?: string;
  metrics: WorkerMetrics | null;
  labs: Lab[];
  version: number;
}

/** GET /api/workers: the snapshot a stream continues from with `?since=last_event_id`. */
export interface Snapshot {
  last_event_id: string;
  workers: Worker[];
}

/** The payload (`data`) of each worker event type. */
export interface WorkerEventPayloads {
  'worker.created': Pick<Worker, 'worker_id' | 'name' | 'region' | 'instance_type' | 'status' | 'created_at'>;
  'worker.status.updated': { worker_id: string; status: WorkerStatus; previous_status: WorkerStatus; updated_at: string };
  'worker.metrics.updated': { worker_id: string } & WorkerMetrics;
  'worker.labs.updated': { worker_id: string; labs: Lab[]; synchronized_at: string };
  'worker.terminated': { worker_id: string; reason: string; terminated_at: string };
}

/** The relay's own events, delivered as they are (no envelope). */
export interface RelayEventPayloads {
  connected: { client_id: string; instance_id: string; heartbeat_ms: number; last_event_id: string | null };
  heartbeat: { time: string };
  'system.sse.resync': { reason: string; oldest_id: string | null };
  'system.sse.shutdown': { reason: 'shutdown'; reconnect_ms: number };
  'system.sse.reauth': { reason: 'token_expired' | 'revoked' };
}

/** A log event's envelope; handlers get its `data` and the event. */
export interface Envelope<T = unknown> {
  id: string;
  type: string;
  time: string;
  subject: string | null;
  traceparent: string | null;
  data: T;
}

/** What a handler receives beside the payload. */
export interface RelayEvent<T = unknown> {
  type: string;
  id: string;
  data: Envelope<T> | T;
}

export type Handler<T = unknown> = (data: T, event: RelayEvent<T>) => void;

export interface StatusInfo {
  mode: 'sse' | 'polling';
  restarting: boolean;
  failures: number;
  reason: string;
}

export interface SseClientOptions {
  /** The stream URL (default /api/events/stream). */
  url?: string;
  /** The read model's URL, or null for a generic (non-worker) stream (default /api/workers). */
  snapshotUrl?: string | null;
  /** ?types= filter: names and `prefix.*` patterns. */
  types?: string[] | null;
  /** ?worker= filter: worker ids (or generic events' keys). */
  workers?: string[] | null;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Consecutive failed connects before polling the read model. */
  failuresBeforePolling?: number;
  pollIntervalMs?: number;
  sseRetryWhilePollingMs?: number;
  /** Hidden this long, the stream closes until the tab is visible again. */
  hiddenPauseMs?: number;
  onSnapshot?: ((snapshot: Snapshot, reason: 'initial' | 'resync' | 'poll') => void) | null;
  /** Asked before the first connect, after a reauth and after a failed connect. */
  getToken?: (() => Promise<string | undefined> | string | undefined) | null;
  /** Send cookies to a relay on another origin (listed in its RELAY_CORS_ORIGINS). */
  withCredentials?: boolean;
  /** The relay's RELAY_JWT_QUERY_PARAM, to put the token in the URL. */
  tokenParam?: string | null;
  /** The EventSource's init beyond withCredentials (e.g. the npm eventsource package's fetch). */
  eventSourceInit?: ((token: string | undefined) => Record<string, unknown>) | null;
  /** An EventSource implementation (default globalThis.EventSource). */
  EventSource?: unknown;
  /** A fetch implementation (default globalThis.fetch). */
  fetch?: typeof fetch;
}

export declare class SseClient {
  constructor(options?: SseClientOptions);
  readonly status: Status;
  readonly mode: 'sse' | 'polling';
  readonly lastEventId: string | null;
  readonly instanceId: string | null;
  /** Starts the stream (after the snapshot when there is a snapshot URL). */
  connect(): void;
  /** Stops everything; connect() starts again from the last id. */
  close(): void;
  on<K extends keyof WorkerEventPayloads>(type: K, handler: Handler<WorkerEventPayloads[K]>): () => void;
  on<K extends keyof RelayEventPayloads>(type: K, handler: Handler<RelayEventPayloads[K]>): () => void;
  on(type: string, handler: Handler): () => void;
  off(type: string, handler: Handler<any>): void;
  /** Called at once with the current status, then at each change. Returns an unsubscribe. */
  onStatus(handler: (status: Status, info: StatusInfo) => void): () => void;
}

/** The delay before reconnect attempt `failures` (1, 2, ...): doubling, capped, jittered. */
export declare function backoffDelay(failures: number, initialMs?: number, maxMs?: number, random?: () => number): number;

/** Orders relay event ids ("<ms>-<seq>"): negative when a < b. */
export declare function compareIds(a: string, b: string): number;

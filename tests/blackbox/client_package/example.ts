// What a TypeScript page writes against the sse-relay-client package: tsc --noEmit must accept
// it (tests/blackbox/client_package.test.mjs), and must reject misuse.ts.
import { SseClient, STATUS, WORKER_EVENT_TYPES, backoffDelay, compareIds } from 'sse-relay-client';
import type { Snapshot, Status, StatusInfo, Worker, WorkerEventPayloads } from 'sse-relay-client';

const rows = new Map<string, Worker>();

const client = new SseClient({
  url: '/api/events/stream',
  types: ['worker.*'],
  onSnapshot: (snapshot: Snapshot, reason) => {
    rows.clear();
    for (const w of snapshot.workers) rows.set(w.worker_id, w);
    console.log(reason, snapshot.last_event_id);
  },
  getToken: async () => 'a-token',
  withCredentials: true,
});

const unsubscribe = client.on('worker.status.updated', (data, event) => {
  const row = rows.get(data.worker_id);
  if (row) row.status = data.status;
  console.log(event.id, data.previous_status);
});
client.on('worker.metrics.updated', (data) => console.log(data.cpu_percent.toFixed(1), data.collected_at));
client.on('system.sse.reauth', (data) => console.log(data.reason === 'revoked'));
client.on('*', (_data, event) => console.log(event.type));
client.onStatus((status: Status, info: StatusInfo) => {
  if (status === STATUS.reconnecting) console.log(info.reason, info.failures, info.mode);
});
client.connect();
unsubscribe();
client.close();

const created: WorkerEventPayloads['worker.created']['status'] = 'pending';
console.log(created, WORKER_EVENT_TYPES[0], backoffDelay(2), compareIds('1-0', '2-0') < 0, client.lastEventId);

// The worker domain end to end: a producer posts a realistic lifecycle for 20 workers; a
// spec-following SSE client receives exactly the expected sequence; the read model equals
// the final aggregates; the demo fleet drives the same path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventSource } from 'eventsource';
import { RelayProcess, eventually } from './relay_process.mjs';

const WORKERS = 20;
const t = (s) => new Date(Date.UTC(2026, 10, 23, 10, 0, s)).toISOString(); // ...T10:00:ss.000Z
let nextId = 1;
const ce = (type, data) => ({ specversion: '1.0', id: `p-${nextId++}`, source: '/e2e/producer', type, data });

test('20 workers: exact SSE sequence, and the read model equals the final aggregates', async () => {
  const relay = await RelayProcess.start();
  try {
    const es = new EventSource(`${relay.base}/api/events/stream`);
    const got = [];
    for (const type of ['worker.created', 'worker.status.updated', 'worker.metrics.updated',
      'worker.labs.updated', 'worker.terminated']) {
      es.addEventListener(type, (e) => got.push({ type, id: e.lastEventId, envelope: JSON.parse(e.data) }));
    }
    await new Promise((resolve) => es.addEventListener('connected', resolve, { once: true }));

    const ids = Array.from({ length: WORKERS }, (_, i) => `w-${String(i + 1).padStart(2, '0')}`);
    const expected = []; // [type, data] in the order subscribers must see them
    // Every worker payload ends with the aggregate's updated_at and version after the event.
    const stamp = (w) => ({ updated_at: w.updated_at, version: w.version });
    const model = new Map();
    const rounds = [];
    rounds.push(ids.map((id, i) => {
      const data = { worker_id: id, name: `Worker ${i + 1}`, region: i % 2 ? 'us-east-1' : 'eu-west-1',
        instance_type: 'm5.2xlarge', status: 'pending', created_at: t(0) };
      model.set(id, { ...data, updated_at: t(0), metrics: null, labs: [], version: 1 });
      expected.push(['worker.created', { ...data, created_at: t(0), ...stamp(model.get(id)) }]);
      return ce('CMLWorkerCreatedDomainEvent', data);
    }));
    for (const [status, ec2, s] of [['provisioning', 'provisioning', 1], ['running', 'running', 2]]) {
      rounds.push(ids.map((id) => {
        const w = model.get(id);
        const previous = w.status;
        Object.assign(w, { status, updated_at: t(s), version: w.version + 1 });
        expected.push(['worker.status.updated', { worker_id: id, status, previous_status: previous, ...stamp(w) }]);
        return ce('CMLWorkerStatusUpdatedDomainEvent', { worker_id: id, status: ec2, updated_at: t(s) });
      }));
    }
    for (const s of [10, 11, 12]) {
      rounds.push(ids.map((id, i) => {
        const metrics = { cpu_percent: (i * 7 + s) % 100, memory_percent: 33.5, labs_count: i % 3, collected_at: t(s) };
        const w = model.get(id);
        Object.assign(w, { metrics, updated_at: t(s), version: w.version + 1 });
        expected.push(['worker.metrics.updated', { worker_id: id, ...metrics, ...stamp(w) }]);
        return ce('worker.telemetry.updated', { worker_id: id, ...metrics });
      }));
    }
    rounds.push(ids.map((id, i) => {
      const labs = Array.from({ length: i % 3 }, (_, k) => ({ lab_id: `${id}-l${k}`, title: `Lab ${k}`, state: 'STARTED', node_count: k + 2 }));
      const w = model.get(id);
      Object.assign(w, { labs, updated_at: t(20), version: w.version + 1 });
      expected.push(['worker.labs.updated', { worker_id: id, labs, synchronized_at: t(20), ...stamp(w) }]);
      return ce('CMLWorkerLabsUpdatedDomainEvent', { worker_id: id, labs, synchronized_at: t(20) });
    }));
    // Five terminate; a stale sample and a repeated status are accepted and change nothing.
    const last = ids.slice(0, 5).map((id) => {
      const w = model.get(id);
      Object.assign(w, { status: 'terminated', terminated_at: t(30), updated_at: t(30), version: w.version + 1 });
      expected.push(['worker.terminated', { worker_id: id, reason: 'scale-in', terminated_at: t(30), ...stamp(w) }]);
      return ce('CMLWorkerTerminatedDomainEvent', { worker_id: id, reason: 'scale-in', terminated_at: t(30) });
    });
    last.push(ce('worker.telemetry.updated', { worker_id: ids[9], cpu_percent: 1, memory_percent: 1, labs_count: 0, collected_at: t(5) }));
    last.push(ce('worker.status.updated', { worker_id: ids[9], status: 'running', updated_at: t(31) }));
    rounds.push(last);

    const accepted = [];
    for (const round of rounds) {
      const res = await relay.ingest(round);
      assert.equal(res.status, 202, await res.clone().text());
      const { ids: roundIds } = await res.json();
      assert.equal(roundIds.length, round.length);
      accepted.push(...roundIds);
    }
    await eventually(() => got.length === expected.length, 10_000, `all ${expected.length} events`);
    await new Promise((r) => setTimeout(r, 200)); // and nothing more
    es.close();
    assert.equal(got.length, expected.length);
    got.forEach((event, i) => {
      const [type, data] = expected[i];
      assert.equal(event.type, type, `event ${i}`);
      assert.deepEqual(event.envelope.data, data, `event ${i} payload`);
      assert.equal(event.envelope.type, type);
      assert.equal(event.envelope.subject, `worker/${data.worker_id}`);
      assert.equal(event.envelope.id, event.id);
    });
    assert.deepEqual(got.map((e) => e.id), accepted.slice(0, expected.length), 'ids in log order');

    const snapshot = await (await fetch(`${relay.base}/api/workers`)).json();
    assert.equal(snapshot.last_event_id, accepted.at(-1));
    const byId = Object.fromEntries(snapshot.workers.map((w) => [w.worker_id, w]));
    assert.equal(snapshot.workers.length, WORKERS);
    for (const [id, w] of model) {
      const expectedW = { ...w, created_at: t(0) };
      assert.deepEqual(byId[id], expectedW, id);
    }
    const one = await fetch(`${relay.base}/api/workers/${ids[0]}`);
    assert.equal(one.headers.get('x-last-event-id'), accepted.at(-1));
    assert.equal((await one.json()).worker.status, 'terminated');
  } finally {
    relay.kill();
  }
});

test('--demo runs a fleet through the ingest path: workers appear and move', async () => {
  const relay = await RelayProcess.start({}, ['--demo']);
  try {
    await eventually(async () => {
      const { workers } = await (await fetch(`${relay.base}/api/workers`)).json();
      return workers.length === 6 && workers.every((w) => w.status === 'running' && w.metrics);
    }, 15_000, 'six running workers with telemetry');
    const stats = await relay.stats();
    assert.ok(stats.per_type['worker.metrics.updated'].published > 0);
    assert.doesNotMatch(relay.stdout, /demo batch refused/);
  } finally {
    relay.kill();
  }
});

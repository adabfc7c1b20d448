// OpenTelemetry export judged by the official OTLP decoder: the spans of real requests, their
// parent/child links, kinds, attributes, resource and timestamps; the sampler; and the relay
// carrying on unharmed when the collector is down, answers 503, or hangs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventSource } from 'eventsource';
import { RelayProcess, eventually, freePort } from './relay_process.mjs';
import { OtlpReceiver } from './otlp_receiver.mjs';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';
const t = (s) => new Date(Date.UTC(2026, 10, 24, 10, 0, s)).toISOString();
let nextId = 1;
const ce = (type, data) => ({ specversion: '1.0', id: `tr-${nextId++}`, source: '/trace/test', type, data });
const created = (id) => ce('CMLWorkerCreatedDomainEvent', {
  worker_id: id, name: id, region: 'eu-west-1', instance_type: 'm5.large', status: 'pending', created_at: t(0),
});
const running = (id) => ce('CMLWorkerStatusUpdatedDomainEvent', { worker_id: id, status: 'running', updated_at: t(1) });

async function metric(relay, name) {
  const text = await (await fetch(`${relay.base}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.split(' ').at(-1));
  }
  return sum;
}

/** Subscribes and collects every envelope of the given types; resolves once connected. */
async function subscribe(relay, types) {
  const es = new EventSource(`${relay.base}/api/events/stream`);
  const got = [];
  let connected;
  for (const type of types) es.addEventListener(type, (e) => got.push({ type, id: e.lastEventId, envelope: JSON.parse(e.data) }));
  await new Promise((resolve) => es.addEventListener('connected', (e) => { connected = JSON.parse(e.data); resolve(); }, { once: true }));
  return { es, got, connected };
}

test('one trace per ingested request: ingest -> domain.handle -> sse.broadcast, exported as OTLP protobuf', async () => {
  const collector = await OtlpReceiver.start('ok');
  const relay = await RelayProcess.start({
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
    OTEL_SERVICE_NAME: 'relay-under-test',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test,team=labs%20ops',
    OTEL_BSP_SCHEDULE_DELAY: '100',
  });
  try {
    const sub = await subscribe(relay, ['worker.created', 'worker.status.updated', 'demo.traced', 'demo.untraced']);

    // 1. A batch of two domain events under the producer's context (with tracestate).
    const res = await relay.ingest([created('w-1'), running('w-1')],
      { traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: 'vendor=abc' });
    assert.equal(res.status, 202);
    const [createdId, runningId] = (await res.json()).ids;
    // 2. A generic publish under another producer trace.
    const other = '4bf92f3577b34da6a3ce929d0e0e4736';
    assert.equal((await relay.publish({ type: 'demo.traced', data: 1 }, { traceparent: `00-${other}-00f067aa0ba902b7-01` })).status, 202);
    // 3. No traceparent, and an invalid (upper-case) one: each starts a trace of its own.
    assert.equal((await relay.publish({ type: 'demo.untraced', data: 2 })).status, 202);
    assert.equal((await relay.publish({ type: 'demo.untraced', data: 3 }, { traceparent: `00-${TRACE.toUpperCase()}-${PARENT}-01` })).status, 202);
    // 4. A rejected request is traced too, but is not a server error.
    assert.equal((await relay.ingest(running('w-404'))).status, 409);

    await eventually(() => sub.got.length === 5, 5000, 'five deliveries');
    await eventually(() => collector.byName('sse.broadcast demo.untraced').length === 2, 5000, 'spans exported');

    // Every request arrived as application/x-protobuf on /v1/traces.
    assert.ok(collector.requests.every((r) => r.path === '/v1/traces' && r.contentType === 'application/x-protobuf'));

    // Resource: service name from OTEL_SERVICE_NAME, version, the replica's instance id.
    const resource = collector.spans[0].resource;
    assert.equal(resource['service.name'], 'relay-under-test');
    assert.match(resource['service.version'], /^\d+\.\d+\.\d+$/);
    assert.equal(resource['service.instance.id'], sub.connected.instance_id);
    assert.equal(resource['deployment.environment'], 'test');
    assert.equal(resource.team, 'labs ops'); // percent-decoded
    assert.ok(collector.spans.every((s) => s.resource['service.name'] === 'relay-under-test'));

    // The producer's trace: ingest (SERVER, child of the producer) -> 2 handles -> 2 broadcasts.
    const trace = collector.spans.filter((s) => s.traceId === TRACE);
    assert.equal(trace.length, 5, trace.map((s) => s.name).join(', '));
    const ingest = trace.find((s) => s.name === 'POST /api/domain-events');
    assert.equal(ingest.kind, 2); // SPAN_KIND_SERVER
    assert.equal(ingest.parentSpanId, PARENT);
    assert.equal(ingest.traceState, 'vendor=abc');
    assert.equal(ingest.attributes['http.request.method'], 'POST');
    assert.equal(ingest.attributes['http.route'], '/api/domain-events');
    assert.equal(ingest.attributes['http.response.status_code'], 202);
    assert.equal(ingest.attributes['server.address'], '127.0.0.1');
    assert.equal(ingest.attributes['server.port'], relay.port);
    assert.equal(ingest.status.code ?? 0, 0);

    const handles = trace.filter((s) => s.name.startsWith('domain.handle '));
    assert.deepEqual(handles.map((s) => s.name).sort(),
      ['domain.handle CMLWorkerCreatedDomainEvent', 'domain.handle CMLWorkerStatusUpdatedDomainEvent']);
    for (const h of handles) {
      assert.equal(h.kind, 1); // INTERNAL
      assert.equal(h.parentSpanId, ingest.spanId);
      assert.equal(h.attributes['cloudevents.event_source'], '/trace/test');
      assert.equal(h.attributes['relay.worker_id'], 'w-1');
      assert.ok(ingest.start <= h.start && h.start <= h.end && h.end <= ingest.end, 'handle inside ingest');
    }
    const handleOf = (eventId) => handles.find((h) => h.attributes['relay.event_id'] === eventId);

    for (const [type, eventId] of [['worker.created', createdId], ['worker.status.updated', runningId]]) {
      const broadcast = trace.find((s) => s.name === `sse.broadcast ${type}`);
      assert.ok(broadcast, type);
      assert.equal(broadcast.kind, 4); // PRODUCER
      assert.equal(broadcast.parentSpanId, handleOf(eventId).spanId);
      assert.equal(broadcast.attributes['messaging.message.id'], eventId);
      assert.equal(broadcast.attributes['messaging.system'], 'sse');
      assert.equal(broadcast.attributes['sse.subscribers'], 1);
      assert.ok(broadcast.attributes['sse.frames'] >= 1);
      assert.ok(broadcast.attributes['sse.bytes'] > 100);
      assert.equal(broadcast.attributes['sse.evicted'], 0);
      assert.ok(broadcast.start >= handleOf(eventId).start && broadcast.end >= broadcast.start);
      // The envelope carries the context the event was accepted under (the ingest span): it
      // is stored in the log with the event, so every replica sends the same bytes.
      const delivered = sub.got.find((g) => g.id === eventId);
      assert.equal(delivered.envelope.traceparent, `00-${TRACE}-${ingest.spanId}-01`);
    }

    // POST /api/events: ingest -> broadcast directly, in the producer's other trace.
    const generic = collector.spans.filter((s) => s.traceId === other);
    assert.deepEqual(generic.map((s) => s.name).sort(), ['POST /api/events', 'sse.broadcast demo.traced']);
    const genericIngest = generic.find((s) => s.kind === 2);
    assert.equal(generic.find((s) => s.kind === 4).parentSpanId, genericIngest.spanId);

    // Untraced and invalid traceparent: new root traces, one per request, never the invalid id.
    const roots = collector.byName('POST /api/events').filter((s) => s.traceId !== other);
    assert.equal(roots.length, 2);
    assert.ok(roots.every((s) => s.parentSpanId === '' && s.traceId !== TRACE));
    assert.notEqual(roots[0].traceId, roots[1].traceId);
    for (const b of collector.byName('sse.broadcast demo.untraced')) {
      assert.ok(roots.some((r) => r.traceId === b.traceId));
    }

    // The 409: a SERVER span with its status code, not marked as an error.
    const rejected = collector.spans.find((s) => s.attributes['http.response.status_code'] === 409);
    assert.ok(rejected);
    assert.equal(rejected.status.code ?? 0, 0);
    assert.ok(relay.stdout.includes('"msg":"ingest rejected"'));
    assert.ok(relay.stdout.split('\n').some((l) => l.includes('ingest rejected') && l.includes(`"trace_id":"${rejected.traceId}"`)));

    assert.ok(await metric(relay, 'sse_relay_spans_exported_total') >= 12);
    sub.es.close();

    // Graceful stop: the sse.shutdown span is flushed before the process exits.
    const stopped = await relay.terminate();
    assert.equal(stopped.code, 0);
    const shutdown = collector.byName('sse.shutdown');
    assert.equal(shutdown.length, 1);
    assert.ok(relay.stdout.includes(`"msg":"relay draining","trace_id":"${shutdown[0].traceId}"`));
  } finally {
    relay.kill();
    await collector.close();
  }
});

test('sampling: always_off exports nothing, yet the trace id still reaches the browser', async () => {
  const collector = await OtlpReceiver.start('ok');
  const relay = await RelayProcess.start({
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collector.endpoint}/v1/traces`,
    OTEL_TRACES_SAMPLER: 'always_off',
    OTEL_BSP_SCHEDULE_DELAY: '50',
  });
  try {
    const sub = await subscribe(relay, ['demo.x']);
    await relay.publish({ type: 'demo.x', data: 1 }, { traceparent: `00-${TRACE}-${PARENT}-01` });
    await eventually(() => sub.got.length === 1, 5000, 'delivery');
    assert.match(sub.got[0].envelope.traceparent, new RegExp(`^00-${TRACE}-[0-9a-f]{16}-00$`));
    await new Promise((r) => setTimeout(r, 300));
    sub.es.close();
    assert.equal((await relay.terminate()).code, 0);
    assert.equal(collector.spans.length, 0);
  } finally {
    relay.kill();
    await collector.close();
  }
});

test('the default parent-based sampler follows an unsampled producer: nothing of that trace is exported', async () => {
  const collector = await OtlpReceiver.start('ok');
  const relay = await RelayProcess.start({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_BSP_SCHEDULE_DELAY: '50' });
  try {
    await relay.publish({ type: 'demo.x', data: 1 }, { traceparent: `00-${TRACE}-${PARENT}-00` });
    await relay.publish({ type: 'demo.y', data: 1 });
    await eventually(() => collector.byName('sse.broadcast demo.y').length === 1, 5000, 'sampled trace');
    assert.equal(collector.spans.filter((s) => s.traceId === TRACE).length, 0);
  } finally {
    relay.kill();
    await collector.close();
  }
});

test('tracing off (OTEL_SDK_DISABLED=true): the producer traceparent travels unchanged', async () => {
  const collector = await OtlpReceiver.start('ok');
  const relay = await RelayProcess.start({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_SDK_DISABLED: 'true' });
  try {
    const sub = await subscribe(relay, ['demo.x']);
    await relay.publish({ type: 'demo.x', data: 1 }, { traceparent: `00-${TRACE}-${PARENT}-01` });
    await eventually(() => sub.got.length === 1, 5000, 'delivery');
    assert.equal(sub.got[0].envelope.traceparent, `00-${TRACE}-${PARENT}-01`);
    sub.es.close();
    assert.equal((await relay.terminate()).code, 0);
    assert.equal(collector.requests.length, 0);
    assert.ok(relay.stdout.includes('"msg":"tracing off","reason":"OTEL_SDK_DISABLED=true"'));
  } finally {
    relay.kill();
    await collector.close();
  }
});

for (const mode of ['down', '503', 'hang']) {
  test(`collector ${mode}: every publish is accepted and delivered, drops are counted, stop is clean`, async () => {
    const collector = mode === 'down' ? null : await OtlpReceiver.start(mode);
    const endpoint = collector ? collector.endpoint : `http://127.0.0.1:${await freePort()}`;
    const relay = await RelayProcess.start({
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '50',
      OTEL_BSP_MAX_QUEUE_SIZE: '64',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '16',
      OTEL_EXPORTER_OTLP_TIMEOUT: '500',
      RELAY_SHUTDOWN_GRACE_MS: '1500',
    });
    try {
      const sub = await subscribe(relay, ['demo.seq']);
      const ids = [];
      for (let n = 0; n < 300; n++) {
        const res = await relay.publish({ type: 'demo.seq', data: { n } }, { traceparent: `00-${TRACE}-${PARENT}-01` });
        assert.equal(res.status, 202);
        ids.push((await res.json()).id);
      }
      await eventually(() => sub.got.length === 300, 10_000, 'all delivered');
      assert.deepEqual(sub.got.map((g) => g.id), ids);
      await eventually(async () => (await metric(relay, 'sse_relay_spans_dropped_total')) > 0, 10_000, 'drops counted');
      assert.equal(await metric(relay, 'sse_relay_spans_exported_total'), 0);
      if (mode === '503') {
        // Retried with backoff: more requests than failed batches, but bounded.
        await eventually(async () => (await metric(relay, 'sse_relay_span_export_failures_total')) >= 1,
          10_000, 'a batch given up');
        const failures = await metric(relay, 'sse_relay_span_export_failures_total');
        assert.ok(collector.requests.length > failures, `${collector.requests.length} requests, ${failures} failed batches`);
      }
      if (mode === 'hang') assert.ok(collector.requests.length >= 1);
      sub.es.close();
      const stopped = await relay.terminate();
      assert.equal(stopped.code, 0);
      // The flush at stop gets at most the shutdown grace (1.5 s), hanging collector or not.
      assert.ok(stopped.ms < 5000, `stop took ${stopped.ms} ms`);
      assert.ok(relay.stdout.includes('"msg":"span export failed"'));
    } finally {
      relay.kill();
      await collector?.close();
    }
  });
}

test('a partial success: the spans the collector rejected are counted as dropped, the rest as exported', async () => {
  const collector = await OtlpReceiver.start('partial');
  const relay = await RelayProcess.start({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_BSP_SCHEDULE_DELAY: '50' });
  try {
    for (let i = 0; i < 5; i++) assert.equal((await relay.publish({ type: 'demo.p', data: i })).status, 202);
    await eventually(() => collector.spans.length >= 10, 5000, 'ten spans received');
    await eventually(async () => (await metric(relay, 'sse_relay_spans_exported_total')) +
      (await metric(relay, 'sse_relay_spans_dropped_total')) === collector.spans.length, 5000, 'all counted');
    const text = await (await fetch(`${relay.base}/metrics`)).text();
    assert.match(text, new RegExp(`sse_relay_spans_dropped_total\\{reason="rejected"\\} ${collector.requests.length}\\n`));
    assert.equal(await metric(relay, 'sse_relay_spans_exported_total'), collector.spans.length - collector.requests.length);
    assert.ok(relay.stdout.includes('"msg":"collector rejected spans","spans":1,"error":"one bad span"'), relay.stdout);
  } finally {
    relay.kill();
    await collector.close();
  }
});

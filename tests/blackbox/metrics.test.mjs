// GET /metrics parsed as Prometheus text exposition 0.0.4: every family is well formed and
// named by the Prometheus conventions, and the numbers follow what the relay did.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventSource } from 'eventsource';
import { RelayProcess, eventually } from './relay_process.mjs';

/** {name: {type, help, samples: [{name, labels, value}]}} from exposition text. */
export function parseExposition(text) {
  const families = {};
  const nameRe = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
  let current = null;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m;
    if ((m = line.match(/^# HELP (\S+) (.*)$/))) {
      families[m[1]] ??= { samples: [] };
      families[m[1]].help = m[2];
    } else if ((m = line.match(/^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/))) {
      families[m[1]] ??= { samples: [] };
      assert.equal(families[m[1]].type, undefined, `TYPE given twice for ${m[1]}`);
      families[m[1]].type = m[2];
      current = m[1];
    } else if (line.startsWith('#')) {
      continue;
    } else {
      m = line.match(/^([^{ ]+)(\{(.*)\})? (\S+)$/);
      assert.ok(m, `unparsable sample line: ${line}`);
      const [, name, , labelText, value] = m;
      assert.match(name, nameRe);
      const labels = {};
      for (const pair of (labelText ?? '').match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? []) {
        const eq = pair.indexOf('=');
        labels[pair.slice(0, eq)] = pair.slice(eq + 2, -1);
      }
      const family = [current, name].find((f) => f && (name === f || ['_bucket', '_sum', '_count'].some((s) => name === f + s)));
      assert.ok(family, `sample ${name} outside its family`);
      const v = value === '+Inf' ? Infinity : Number(value);
      assert.ok(!Number.isNaN(v), `value of ${line}`);
      families[family].samples.push({ name, labels, value: v });
    }
  }
  return families;
}

test('/metrics: well-formed exposition, Prometheus naming, values that follow the traffic', async () => {
  const relay = await RelayProcess.start();
  try {
    const es = new EventSource(`${relay.base}/api/events/stream`);
    const got = [];
    es.addEventListener('demo.m', (e) => got.push(e.lastEventId));
    await eventually(async () => (await relay.stats()).clients === 1, 5000, 'subscribed');
    for (let i = 0; i < 3; i++) assert.equal((await relay.publish({ type: 'demo.m', data: i })).status, 202);
    assert.equal((await relay.publish('{bad json')).status, 400);
    await eventually(() => got.length === 3, 5000, 'delivered');
    // The latency of the last broadcast is observed when its sweep ends, just after delivery.
    await new Promise((r) => setTimeout(r, 100));

    const res = await fetch(`${relay.base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    const families = parseExposition(await res.text());

    for (const [name, f] of Object.entries(families)) {
      // One namespace, beside the standard process_* family every client library exports.
      assert.ok(name.startsWith('sse_relay_') || name.startsWith('process_'), `${name}: one namespace`);
      assert.ok(f.type, `${name} has a TYPE`);
      assert.ok(f.help && f.help.length > 10, `${name} has a HELP`);
      assert.ok(f.samples.length > 0, `${name} has samples`);
      assert.ok(!/[A-Z]/.test(name), `${name}: snake_case`);
      // Counters end in _total; nothing else does.
      assert.equal(name.endsWith('_total'), f.type === 'counter', `${name} (${f.type}) and _total`);
      // Units are base units, spelled out as the suffix before _total.
      assert.ok(!/_(ms|milliseconds|kb|mb|percent)(_|$)/.test(name), `${name}: base units`);
      if (/latency|duration/.test(name)) assert.ok(name.endsWith('_seconds'), `${name} in seconds`);
      if (/bytes/.test(name)) assert.ok(/_bytes(_total)?$/.test(name), `${name}: bytes as the unit suffix`);
    }

    const value = (name, labels = {}) => {
      const s = families[name].samples.find((x) => x.name === name &&
        Object.entries(labels).every(([k, v]) => x.labels[k] === v));
      assert.ok(s, `${name} ${JSON.stringify(labels)}`);
      return s.value;
    };
    assert.equal(value('sse_relay_connected_subscribers'), 1);
    assert.equal(value('sse_relay_subscriptions_total'), 1);
    assert.equal(value('sse_relay_events_broadcast_total', { type: 'demo.m' }), 3);
    assert.ok(value('sse_relay_deliveries_total') >= 3);
    assert.ok(value('sse_relay_written_bytes_total') > 0);
    assert.equal(value('sse_relay_log_entries'), 3);
    assert.ok(value('sse_relay_log_oldest_timestamp_seconds') > 1.7e9);
    for (const reason of ['lagging', 'slow_consumer', 'shutdown_timeout']) {
      assert.equal(value('sse_relay_evictions_total', { reason }), 0);
    }
    assert.equal(value('sse_relay_ingest_requests_total', { route: '/api/events', code: '202' }), 3);
    assert.equal(value('sse_relay_ingest_requests_total', { route: '/api/events', code: '400' }), 1);
    for (const reason of ['queue_full', 'export_failed']) assert.equal(value('sse_relay_spans_dropped_total', { reason }), 0);
    assert.equal(value('sse_relay_build_info'), 1);
    // Which build: the git commit it came from (or "unknown" outside a checkout).
    assert.match(families.sse_relay_build_info.samples[0].labels.commit, /^([0-9a-f]{12}(-dirty)?|unknown)$/);
    // Ingest latency by route, beside the broadcast latency.
    const ingestCount = families.sse_relay_ingest_duration_seconds.samples
      .find((s) => s.name === 'sse_relay_ingest_duration_seconds_count' && s.labels.route === '/api/events');
    assert.equal(ingestCount.value, 4, 'every answered publish observed');
    assert.equal(value('sse_relay_resyncs_total', { reason: 'too_old' }), 0, 'resyncs by reason, present at zero');

    // The histogram: cumulative buckets ending in +Inf = _count, and a _sum.
    const h = families.sse_relay_broadcast_latency_seconds;
    assert.equal(h.type, 'histogram');
    const buckets = h.samples.filter((s) => s.name.endsWith('_bucket'));
    const bounds = buckets.map((b) => (b.labels.le === '+Inf' ? Infinity : Number(b.labels.le)));
    assert.deepEqual(bounds, [...bounds].sort((a, b) => a - b));
    assert.equal(bounds.at(-1), Infinity);
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i].value >= buckets[i - 1].value);
    const count = h.samples.find((s) => s.name.endsWith('_count')).value;
    assert.equal(buckets.at(-1).value, count);
    assert.equal(count, 3);
    assert.ok(h.samples.find((s) => s.name.endsWith('_sum')).value > 0);
    es.close();
  } finally {
    relay.kill();
  }
});

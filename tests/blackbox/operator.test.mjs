// What an operator meets (issue 26): one start-up line with the effective modes and a warning
// when publishing is open; "relay started" never before a bind error; Redis failures named
// with address and error, once per spell; problem details in words and nested in logs;
// process_* metrics and the build; the admin listener and routes (list, close, revoke).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { claimsFor, secret, sign } from './jwt_tokens.mjs';
import { checkSseEvent } from './openapi_check.mjs';
import { RelayProcess, eventually, freePort } from './relay_process.mjs';

const started = [];
after(() => started.forEach((r) => r.kill()));
async function relay(env = {}, args = []) {
  const r = await RelayProcess.start(env, args);
  started.push(r);
  return r;
}
const logLines = (r) => r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));

/** A raw SSE reader: every frame as {event, data, id}, and whether the server closed. */
function openStream(url, headers = {}) {
  const controller = new AbortController();
  const stream = { frames: [], closed: false, close: () => controller.abort() };
  stream.ready = fetch(url, { headers, signal: controller.signal }).then(async (res) => {
    stream.status = res.status;
    if (res.status !== 200) return;
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of res.body) {
        buffered += decoder.decode(chunk, { stream: true });
        let end;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const frame = {};
          for (const line of block.split('\n')) {
            const colon = line.indexOf(':');
            if (colon <= 0) continue;
            frame[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
          }
          if (frame.event) {
            checkSseEvent(frame.event, frame.data);  // the contract, as for EventSource readers
            stream.frames.push(frame);
          }
        }
      }
      stream.closed = true;
    } catch {
      stream.closed = true;
    }
  });
  return stream;
}
const connectedId = (s) => JSON.parse(s.frames.find((f) => f.event === 'connected').data).client_id;

test('start-up: one line with the effective modes after the listener is bound, a warning when publishing is open', async () => {
  const open = await relay({}, ['--host', '0.0.0.0', '--max-clients', '77']);
  await eventually(() => open.stdout.includes('relay started'), 5000, 'relay started');
  const lines = logLines(open);
  const listening = lines.findIndex((l) => l.msg === 'listening');
  const startedAt = lines.findIndex((l) => l.msg === 'relay started');
  assert.ok(listening >= 0 && startedAt > listening, 'started comes after the bind');
  const line = lines[startedAt];
  assert.equal(typeof line.modes, 'object', 'modes nested as an object, not a string');
  assert.equal(line.modes.log, 'memory');
  assert.equal(line.modes.subscriber_auth, 'none');
  assert.equal(line.modes.producer_auth, 'none');
  assert.equal(line.modes.cors, 'off');
  assert.equal(line.modes.bind, `0.0.0.0:${open.port}`);
  assert.equal(line.modes.limits.max_clients, 77);
  assert.match(line.commit, /^([0-9a-f]{12}(-dirty)?|unknown)$/);
  const warning = lines.find((l) => l.level === 'warn' && /publishing is open/.test(l.msg));
  assert.ok(warning, 'warned that anyone can publish');
  assert.match(warning.msg, /RELAY_PUBLISH_TOKEN/);

  // The same relay on loopback, or with a token: no warning.
  const quiet = await relay({ RELAY_PUBLISH_TOKEN: 'p', RELAY_CORS_ORIGINS: 'http://a.test' }, ['--host', '0.0.0.0']);
  await eventually(() => quiet.stdout.includes('relay started'), 5000, 'relay started');
  const modes = logLines(quiet).find((l) => l.msg === 'relay started').modes;
  assert.equal(modes.producer_auth, 'token');
  assert.equal(modes.cors, 'http://a.test');
  assert.ok(!quiet.stdout.includes('publishing is open'));
});

test('a taken port: the bind error, exit 1, and no "relay started" line', async () => {
  const holder = net.createServer();
  holder.listen(0, '127.0.0.1');
  await new Promise((r) => holder.once('listening', r));
  const { port } = holder.address();
  try {
    const run = spawnSync(RelayProcess.binary, ['--host', '127.0.0.1', '--port', String(port)], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(run.status, 1);
    assert.match(run.stderr, new RegExp(`cannot listen on 127.0.0.1:${port}: Address already in use`));
    assert.ok(!run.stdout.includes('relay started'), run.stdout);
  } finally {
    holder.close();
  }
});

test('Redis unreachable: one warning naming address and error per spell, /readyz says both, a 503 in words', async () => {
  const deadPort = await freePort();
  const r = await relay({}, ['--bus', `redis://127.0.0.1:${deadPort}`]);
  await eventually(() => r.stdout.includes('redis bus unreachable'), 4000, 'the warning');
  const ready = await fetch(`${r.base}/readyz`);
  assert.equal(ready.status, 503);
  const detail = (await ready.json()).detail;
  assert.match(detail, new RegExp(`127\\.0\\.0\\.1:${deadPort}`));
  assert.match(detail, /last error: Connection refused/);
  const res = await r.publish({ type: 'a.b', data: {} });
  assert.equal(res.status, 503);
  const problem = await res.json();
  assert.doesNotMatch(problem.detail, /\b[a-z]+_[a-z_]+\b/, 'no enum name in words meant for people');
  await new Promise((s) => setTimeout(s, 2500));  // several retries later: still one line
  const lines = logLines(r);
  const warnings = lines.filter((l) => l.msg.startsWith('redis bus unreachable'));
  assert.equal(warnings.length, 1, 'once per spell, not per retry');
  assert.equal(warnings[0].level, 'warn');
  assert.equal(warnings[0].address, `127.0.0.1:${deadPort}`);
  assert.equal(warnings[0].error, 'Connection refused');
  const rejected = lines.find((l) => l.msg === 'ingest rejected');
  assert.equal(rejected.level, 'warn', 'a 5xx is the relay\'s failure');
  assert.equal(rejected.problem.status, 503, 'the problem nested as an object');
});

test('process_* metrics and the build: descriptors follow streams, start time is now', async () => {
  const r = await relay();
  const scrape = async () => (await (await fetch(`${r.base}/metrics`)).text());
  const value = (text, name) => Number(text.match(new RegExp(`^${name} (\\S+)$`, 'm'))?.[1]);
  const before = await scrape();
  for (const name of ['process_resident_memory_bytes', 'process_open_fds', 'process_max_fds', 'process_cpu_seconds_total', 'process_start_time_seconds']) {
    assert.ok(Number.isFinite(value(before, name)), `${name} present`);
  }
  assert.ok(Math.abs(value(before, 'process_start_time_seconds') - Date.now() / 1000) < 60);
  assert.ok(value(before, 'process_resident_memory_bytes') > 1e6);
  assert.match(before, /^sse_relay_build_info\{commit="[^"]+",instance_id="[0-9a-f]+",version="\d+\.\d+\.\d+"\} 1$/m);
  assert.match(before, /^sse_relay_max_subscribers \d+$/m);
  const streams = Array.from({ length: 5 }, () => openStream(`${r.base}/api/events/stream`));
  await eventually(async () => (await r.stats()).clients === 5, 5000, 'five streams');
  const during = await scrape();
  assert.ok(value(during, 'process_open_fds') >= value(before, 'process_open_fds') + 5, 'one descriptor per stream');
  streams.forEach((s) => s.close());
});

test('admin routes are off on the public port without RELAY_ADMIN_TOKEN; with it they need it', async () => {
  const plain = await relay();
  assert.equal((await fetch(`${plain.base}/api/admin/streams`)).status, 404);
  assert.equal((await fetch(`${plain.base}/api/admin/streams/x`, { method: 'DELETE' })).status, 404);
  assert.equal((await fetch(`${plain.base}/metrics`)).status, 200, 'metrics stay public as before');

  const guarded = await relay({ RELAY_ADMIN_TOKEN: 'admin-secret' });
  const none = await fetch(`${guarded.base}/api/admin/streams`);
  assert.equal(none.status, 401);
  assert.match(none.headers.get('www-authenticate'), /^Bearer realm="sse-relay-admin"/);
  assert.equal((await fetch(`${guarded.base}/api/admin/streams`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
  const ok = await fetch(`${guarded.base}/api/admin/streams`, { headers: { authorization: 'Bearer admin-secret' } });
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { streams: [], listed: 0, total: 0 });
});

test('RELAY_ADMIN_PORT: metrics, stats and admin routes move there; the public port keeps health and readiness', async () => {
  const adminPort = await freePort();
  const r = await relay({ RELAY_ADMIN_PORT: String(adminPort), RELAY_ADMIN_TOKEN: 'ops' });
  const admin = `http://127.0.0.1:${adminPort}`;
  const auth = { authorization: 'Bearer ops' };
  for (const path of ['/metrics', '/api/events/stats', '/api/admin/streams']) {
    assert.equal((await fetch(`${r.base}${path}`)).status, 404, `public ${path}`);
    assert.equal((await fetch(`${admin}${path}`)).status, 401, `admin ${path} without the token`);
    assert.equal((await fetch(`${admin}${path}`, { headers: auth })).status, 200, `admin ${path}`);
  }
  assert.equal((await fetch(`${r.base}/healthz`)).status, 200);
  assert.equal((await fetch(`${r.base}/readyz`)).status, 200);
  assert.equal((await fetch(`${admin}/api/events/stream`, { headers: auth })).status, 404, 'no streams on the admin listener');
  assert.equal((await fetch(`${admin}/api/workers`, { headers: auth })).status, 404);
  const line = logLines(r).find((l) => l.msg === 'relay started');
  assert.equal(line.admin_port, adminPort);
  assert.equal(line.modes.admin, `127.0.0.1:${adminPort} (token)`);
});

test('list streams, close one by client id, revoke a subject: reauth {reason: revoked}, counted and logged', async () => {
  const adminPort = await freePort();
  const r = await relay({ RELAY_ADMIN_PORT: String(adminPort), RELAY_JWT_SECRET: secret, RELAY_FLUSH_INTERVAL_MS: '1' });
  const admin = `http://127.0.0.1:${adminPort}`;
  const token = (sub) => ({ authorization: `Bearer ${sign(claimsFor({}, 600, { sub }))}` });
  const alice1 = openStream(`${r.base}/api/events/stream?types=worker.*&worker=w-1`, token('alice'));
  const alice2 = openStream(`${r.base}/api/events/stream`, token('alice'));
  const bob = openStream(`${r.base}/api/events/stream`, token('bob'));
  const all = [alice1, alice2, bob];
  await eventually(() => all.every((s) => s.frames.some((f) => f.event === 'connected')), 5000, 'three connected');

  const listing = await (await fetch(`${admin}/api/admin/streams`)).json();
  assert.equal(listing.total, 3);
  const mine = listing.streams.find((s) => s.client_id === connectedId(alice1));
  assert.ok(mine, 'listed by the id its connected event named');
  assert.equal(mine.address, '127.0.0.1');
  assert.equal(mine.sub, 'alice');
  assert.deepEqual(mine.filter, { types: ['worker.*'], workers: ['w-1'], regions: [] });
  assert.equal(typeof mine.bytes_behind, 'number');
  assert.ok(Math.abs(Date.parse(mine.connected_since) - Date.now()) < 60_000);
  const limited = await (await fetch(`${admin}/api/admin/streams?limit=1`)).json();
  assert.equal(limited.listed, 1);
  assert.equal(limited.total, 3);
  assert.equal((await fetch(`${admin}/api/admin/streams?limit=0`)).status, 400);

  // Close bob's stream by id: it ends, the others stay.
  const closed = await fetch(`${admin}/api/admin/streams/${connectedId(bob)}`, { method: 'DELETE' });
  assert.equal(closed.status, 200);
  assert.deepEqual(await closed.json(), { client_id: connectedId(bob), closed: 1 });
  await eventually(() => bob.closed, 5000, 'bob closed');
  assert.equal((await fetch(`${admin}/api/admin/streams/${connectedId(bob)}`, { method: 'DELETE' })).status, 404);
  assert.equal((await fetch(`${admin}/api/admin/streams`, { method: 'DELETE' })).status, 400, 'which streams, then?');

  // Revoke alice: both her streams get reauth {reason: revoked} and close.
  const revoked = await fetch(`${admin}/api/admin/streams?sub=alice`, { method: 'DELETE' });
  assert.deepEqual(await revoked.json(), { sub: 'alice', closed: 2 });
  await eventually(() => alice1.closed && alice2.closed, 5000, 'alice closed');
  for (const s of [alice1, alice2]) {
    const reauth = s.frames.find((f) => f.event === 'system.sse.reauth');
    assert.deepEqual(JSON.parse(reauth.data), { reason: 'revoked' });
  }
  await eventually(async () => (await (await fetch(`${admin}/api/events/stats`)).json()).clients === 0, 5000, 'no streams left');

  const metrics = await (await fetch(`${admin}/metrics`)).text();
  assert.match(metrics, /^sse_relay_admin_actions_total\{action="close_stream"\} 1$/m);
  assert.match(metrics, /^sse_relay_admin_actions_total\{action="revoke_subject"\} 1$/m);
  assert.match(metrics, /^sse_relay_admin_streams_closed_total\{action="revoke_subject"\} 2$/m);
  assert.match(metrics, /^sse_relay_reauths_total 2$/m);
  const lines = logLines(r);
  assert.ok(lines.some((l) => l.msg === 'operator closed a stream' && l.client_id === connectedId(bob) && l.by === '127.0.0.1'));
  assert.ok(lines.some((l) => l.msg === 'operator revoked a token subject' && l.sub === 'alice' && l.streams === 2));
});

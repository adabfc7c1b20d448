// The command line as an operator meets it: --help, bad values, a taken port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { RelayProcess, relayBinary } from './relay_process.mjs';

const run = (args, env = {}) =>
  spawnSync(relayBinary, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 10_000 });

test('--help lists every option with its variable and default, exit 0', () => {
  const r = run(['--help']);
  assert.equal(r.status, 0);
  for (const name of ['RELAY_PORT', 'RELAY_HOST', 'RELAY_HEARTBEAT_MS', 'RELAY_HISTORY',
    'RELAY_MAX_CLIENTS', 'RELAY_MAX_PENDING_BYTES', 'RELAY_SHUTDOWN_GRACE_MS',
    'RELAY_PUBLISH_TOKEN', 'RELAY_CORS_ORIGINS', 'RELAY_BUS']) {
    assert.match(r.stdout, new RegExp(`${name}\\s.*\\(default: `), name);
  }
});

test('a bad value is a one-line error naming the option, exit 2', () => {
  for (const [args, env, name] of [
    [['--port', 'eighty'], {}, '--port'],
    [[], { RELAY_HEARTBEAT_MS: '-5' }, 'RELAY_HEARTBEAT_MS'],
    [[], { RELAY_HISTORY: '0' }, 'RELAY_HISTORY'],
    [['--frobnicate'], {}, '--frobnicate'],
  ]) {
    const r = run(args, env);
    assert.equal(r.status, 2, name);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(name));
  }
});

test('a taken port fails start-up with a one-line error naming it, exit non-zero', async () => {
  const first = await RelayProcess.start();
  try {
    const r = run(['--host', '127.0.0.1', '--port', String(first.port)]);
    assert.notEqual(r.status, 0);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${first.port}: Address already in use`));
  } finally {
    first.kill();
  }
});

test('SIGINT stops an idle relay cleanly with exit 0', async () => {
  const relay = await RelayProcess.start();
  relay.child.kill('SIGINT');
  const { code } = await relay.exited;
  assert.equal(code, 0);
  for (const line of relay.stdout.trim().split('\n')) JSON.parse(line); // JSON lines only
});

test('a low descriptor limit: the subscriber limit is fitted under it, the rest get 503, health answers', async () => {
  const relay = await RelayProcess.start({}, [], undefined, ['prlimit', '--nofile=200:200', '--']);
  const sockets = [];
  try {
    const lowered = relay.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l))
      .find((l) => l.msg === 'subscriber limit lowered to fit the descriptor limit');
    assert.ok(lowered, relay.stdout);
    assert.equal(lowered.nofile, 200);
    assert.equal(lowered.max_clients, 136); // 200 less the 64 kept for everything else
    const net = await import('node:net');
    const statuses = [];
    for (let i = 0; i < 150; i++) {
      const s = net.connect(relay.port, '127.0.0.1');
      sockets.push(s);
      statuses.push(new Promise((resolve) => {
        let head = '';
        s.on('data', (d) => { head += d; if (head.includes('\r\n')) resolve(head.slice(9, 12)); });
        s.on('error', () => resolve('error'));
        s.on('close', () => resolve(head.slice(9, 12) || 'closed'));
      }));
      s.write('GET /api/events/stream HTTP/1.1\r\nHost: x\r\n\r\n');
    }
    const got = await Promise.all(statuses);
    assert.equal(got.filter((c) => c === '200').length, 136, got.join(' '));
    assert.equal(got.filter((c) => c === '503').length, 14, got.join(' '));
    assert.equal((await fetch(`${relay.base}/healthz`)).status, 200);
  } finally {
    for (const s of sockets) s.destroy();
    relay.kill();
  }
});

// A relay that blocks on its log would hang this test: its own timeout turns that into a failure.
test('stdout a pipe nobody drains: the relay keeps serving, drops log lines, and stops on SIGTERM', { timeout: 60_000 }, async () => {
  const { spawn } = await import('node:child_process');
  const { freePort } = await import('./relay_process.mjs');
  const port = await freePort();
  // stdout is piped and never read: once the pipe is full, every log write would block.
  const child = spawn(relayBinary, ['--host', '127.0.0.1', '--port', String(port)],
    { stdio: ['ignore', 'pipe', 'ignore'] });
  child.stdout.pause();
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      try { if ((await fetch(`${base}/healthz`)).ok) break; } catch { /* starting */ }
      await new Promise((r) => setTimeout(r, 50));
    }
    // Each refused publish logs a line of ~1.2 KB (the 415 detail names the content type;
    // logged values are capped at 1 KB): 3.6 MB in all, past the pipe and the log buffer.
    const junk = `text/${'x'.repeat(1500)}`;
    for (let i = 0; i < 3000; i++) {
      const res = await fetch(`${base}/api/events`, { method: 'POST',
        headers: { 'content-type': junk }, body: '{}', signal: AbortSignal.timeout(5000) });
      assert.equal(res.status, 415);
    }
    const started = Date.now();
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.ok(Date.now() - started < 1000, 'healthz answered at once');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const dropped = Number(metrics.match(/^sse_relay_log_lines_dropped_total (\d+)/m)?.[1]);
    assert.ok(dropped > 0, `dropped ${dropped}`);
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('hung'), 10_000))]);
    assert.equal(code, 0);
  } finally {
    child.kill('SIGKILL');
  }
});

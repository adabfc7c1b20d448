// The image, built and run as operators run it (issue 16): scripts/build-image.sh (debootstrap
// base + podman build, no registry), two relay containers (read-only root filesystem) on a
// real Redis behind deploy/nginx.conf, `podman stop` of one under subscribers.
// The image packs the binary under test (the Dockerfile's `prebuilt` target) so make test
// compiles the relay once; RELAY_IMAGE_FROM_SOURCE=1 builds the default target instead, the
// relay compiled inside the image as `docker build` does (about 5 minutes more on 2 cores).
// Skipped, with the reason printed, only where podman cannot run (not root, or missing).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNginx } from './balancer.mjs';
import { closeAll, collect, created, ingestUntilAccepted, ready } from './bus_clients.mjs';
import { RedisProcess } from './redis_process.mjs';
import { eventually, freePort, relayBinary } from './relay_process.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const image = 'localhost/sse-relay:test';
const env = { ...process.env, CONTAINERS_CONF: path.join(root, 'deploy/podman/containers.conf') };
const podman = (...args) => spawnSync('podman', args, { env, encoding: 'utf8', timeout: 120_000 });

function cannotRun() {
  if (process.getuid?.() !== 0) return 'podman runs containers here as root only (this user is not root)';
  for (const tool of ['podman', 'debootstrap']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  return null;
}
const reason = cannotRun();
if (reason) console.log(`# container tests skipped: ${reason}`);

let built = false;
before(async () => {
  if (reason) return;
  const started = Date.now();
  const args = process.env.RELAY_IMAGE_FROM_SOURCE === '1' ? [image] : ['--binary', relayBinary, image];
  const result = spawnSync(path.join(root, 'scripts/build-image.sh'), args, { env, encoding: 'utf8', timeout: 900_000 });
  assert.equal(result.status, 0, `image build failed:\n${result.stderr.slice(-4000)}`);
  console.log(`# image built in ${Math.round((Date.now() - started) / 1000)} s`);
  built = true;
});

const sonames = (lddOutput) => lddOutput.split('\n')
  .map((l) => l.trim().split(/\s+/)[0])
  .filter((name) => name && !name.startsWith('linux-vdso') && !name.startsWith('/'))
  .sort();

test('the runtime image has every library the binary links (those of the tested build), runs as relay and stops on SIGTERM', { skip: reason ?? false }, () => {
  assert.ok(built);
  const inside = podman('run', '--rm', '--read-only', '--entrypoint', 'ldd', image, '/usr/local/bin/sse-relay');
  assert.equal(inside.status, 0, inside.stderr);
  assert.ok(!inside.stdout.includes('not found'), inside.stdout);
  const host = execFileSync('ldd', [relayBinary], { encoding: 'utf8' });
  assert.deepEqual(sonames(inside.stdout), sonames(host), 'the same shared libraries as the tested build');
  const user = podman('image', 'inspect', image, '--format', '{{.Config.User}} {{.Config.StopSignal}}');
  assert.equal(user.stdout.trim(), 'relay SIGTERM');
});

test('two relay containers on Redis behind nginx: podman stop of one sends its subscribers system.sse.shutdown, they resume on the other without a gap, and it exits 0', { skip: reason ?? false }, async () => {
  const redis = await RedisProcess.start();
  const ports = [await freePort(), await freePort()];
  const names = ports.map((p) => `sse-relay-test-${p}`);
  let nginx;
  try {
    ports.forEach((port, i) => {
      const run = podman('run', '-d', '--name', names[i], '--read-only',
        '-e', `RELAY_PORT=${port}`, '-e', 'RELAY_HOST=127.0.0.1', '-e', `RELAY_BUS=${redis.url}`,
        '-e', `RELAY_INSTANCE_ID=c${i + 1}`, '-e', 'RELAY_RETRY_MS=300', '-e', 'RELAY_RECONNECT_JITTER_MS=800',
        image);
      assert.equal(run.status, 0, run.stderr);
    });
    for (const port of ports) await ready({ base: `http://127.0.0.1:${port}` }, 20_000);
    nginx = await startNginx(ports);
    const subs = Array.from({ length: 10 }, () => collect(`${nginx.base}/api/events/stream?types=worker.created`, { types: ['worker.created'] }));
    await Promise.all(subs.map((s) => s.opened));
    const onFirst = subs.filter((s) => s.connections[0].instance_id === 'c1');
    assert.ok(onFirst.length > 0 && onFirst.length < 10, 'nginx spread the subscribers over both containers');
    const accepted = [];
    for (let i = 0; i < 10; i++) accepted.push(await ingestUntilAccepted(nginx.base, created(`before-${i}`, '/container')));
    await eventually(() => subs.every((s) => s.received.length === 10), 10_000, 'all got the first ten');

    const stop = podman('stop', '-t', '20', names[0]);
    assert.equal(stop.status, 0, stop.stderr);
    const exit = podman('inspect', names[0], '--format', '{{.State.ExitCode}}');
    assert.equal(exit.stdout.trim(), '0', 'a drained relay exits 0');
    for (let i = 0; i < 10; i++) accepted.push(await ingestUntilAccepted(nginx.base, created(`after-${i}`, '/container')));
    await eventually(() => subs.every((s) => s.received.length === 20), 15_000, 'all got the next ten');
    for (const s of subs) assert.deepEqual(s.received.map((e) => e.id), accepted, 'every event once, in order');
    for (const s of onFirst) {
      assert.equal(s.shutdowns.length, 1, 'told system.sse.shutdown');
      assert.equal(s.connections.at(-1).instance_id, 'c2', 'resumed on the other container');
    }
    const health = podman('healthcheck', 'run', names[1]);
    assert.equal(health.status, 0, `the image's HEALTHCHECK passes: ${health.stdout}${health.stderr}`);
  } finally {
    closeAll();
    await nginx?.stop();
    for (const name of names) podman('rm', '-f', '-t', '0', name);
    await redis.remove();
  }
});

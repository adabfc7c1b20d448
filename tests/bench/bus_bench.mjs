// The Redis bus beside the embedded log, in one run (issue 13's benchmark; part of
// `make bench`). Servers (relays, redis-server with AOF, appendfsync everysec, nginx) are pinned
// to CPU 0, the load (node for ingest, sse-bench for delivery) to CPU 1.
//  - ingest: POST /api/domain-events, single events and batches of 100, 8 connections;
//  - delivery: publish-to-delivery p50/p99 at 1,000 subscribers x 500 events/s, through one
//    replica and through two behind nginx (deploy/nginx.conf);
//  - publish: closed-loop single-event POST /api/events (sse-bench: 8 connections, 64 in
//    flight, 10 subscribers), the relay alone on CPU 0 and redis-server beside the load on
//    CPU 1, so each process's CPU per publish is its own: relay us/publish, redis-server
//    us/publish, and the relay's against the memory log's in the same run.
// Goals: Redis keeps >= 50 % of memory ingest and adds <= 2 ms to p99 delivery (issue 13);
// relay CPU per publish <= 1.3x memory's, redis-server <= 8 us per publish, closed-loop
// publish >= 60 % of memory's (issue 25).
//
//   node tests/bench/bus_bench.mjs --relay build/release/sse-relay --bench build/release/tests/sse-bench
//        [--quick] [--fsync everysec|always] [--redis-cpu 0|1] [--phases ingest,publish,delivery]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startNginx } from '../blackbox/balancer.mjs';
import { RedisProcess } from '../blackbox/redis_process.mjs';
import { RelayProcess } from '../blackbox/relay_process.mjs';
import { cpuSeconds, measureIngest } from './ingest_load.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
// Set on the class: relay_process read RELAY_BINARY when it was imported, before this line
// ran (until 2026-12-07 --relay was ignored and build/release/sse-relay always ran).
RelayProcess.binary = path.resolve(opt('--relay', 'build/release/sse-relay'));
console.error(`bus bench: relay ${RelayProcess.binary}`);
const benchBinary = path.resolve(opt('--bench', 'build/release/tests/sse-bench'));
const seconds = args.includes('--quick') ? 3 : 5;
// Redis's default AOF policy; `--fsync always` prices an fsync into every append.
const fsync = opt('--fsync', 'everysec');
// Which measurements (ingest, publish, delivery); all by default.
const phases = new Set(opt('--phases', 'ingest,publish,delivery').split(','));
// Redis shares the relays' core by default (CPU 0); `--redis-cpu 1` puts it beside the load.
const redisCpu = opt('--redis-cpu', '0');
const pin = ['taskset', '-c', '0'];
const relayEnv = { RELAY_LOG_LEVEL: 'warn', OTEL_SDK_DISABLED: 'true', RELAY_MAX_BODY_BYTES: String(1 << 20),
  RELAY_MAX_PENDING_BYTES: String(4 << 20),
  RELAY_MAX_CLIENTS: '5000' };

/** Starts the servers of a setup; returns {base, pids, stop}. */
async function setup(kind, { redisOn = redisCpu } = {}) {
  const started = [];
  const stopAll = async () => {
    for (const s of started.reverse()) await s();
  };
  try {
    if (kind === 'memory') {
      const relay = await RelayProcess.start(relayEnv, [], undefined, pin);
      started.push(async () => relay.kill());
      return { base: relay.base, port: relay.port, pids: [relay.child.pid], relayPid: relay.child.pid, stop: stopAll };
    }
    const redis = await RedisProcess.start({ launcher: ['taskset', '-c', redisOn], fsync });
    started.push(() => redis.remove());
    const env = { ...relayEnv, RELAY_BUS: redis.url, RELAY_BUS_STREAM: `bench:${Date.now()}` };
    const replicas = [];
    for (let i = 0; i < (kind === 'redis-2-nginx' ? 2 : 1); i++) {
      const relay = await RelayProcess.start(env, [], undefined, pin);
      started.push(async () => relay.kill());
      replicas.push(relay);
    }
    for (const r of replicas) {
      const deadline = Date.now() + 10_000;
      while ((await fetch(`${r.base}/readyz`)).status !== 200) {
        if (Date.now() > deadline) throw new Error('replica not ready');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const pids = [redis.child.pid, ...replicas.map((r) => r.child.pid)];
    if (kind !== 'redis-2-nginx') {
      return { base: replicas[0].base, port: replicas[0].port, pids, relayPid: replicas[0].child.pid,
        redisPid: redis.child.pid, stop: stopAll };
    }
    const nginx = await startNginx(replicas.map((r) => r.port), pin);
    started.push(() => nginx.stop());
    return { base: nginx.base, port: nginx.port, pids: [...pids, nginx.child.pid], stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

function deliver(port, rate) {
  const out = execFileSync('taskset', ['-c', '1', benchBinary, '--target', 'relay', '--port', String(port),
    '--subscribers', '1000', '--rate', String(rate), '--duration', String(seconds), '--json'],
  { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return JSON.parse(out.split('\n').pop());
}

/** Closed-loop publishes against `s`; CPU per publish of the relay and of redis-server. */
function publishLoop(s) {
  const redis0 = s.redisPid ? cpuSeconds(s.redisPid) : 0;
  const out = execFileSync('taskset', ['-c', '1', benchBinary, '--target', 'relay', '--port', String(s.port),
    '--subscribers', '10', '--publishers', '8', '--rate', '0', '--window', '64', '--duration', String(seconds),
    '--drain', '2', '--server-pid', String(s.relayPid), '--json'],
  { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const d = JSON.parse(out.split('\n').pop());
  const redisUs = s.redisPid ? ((cpuSeconds(s.redisPid) - redis0) * 1e6) / d.published : undefined;
  return { publishes_per_s: Math.round(d.publishes_per_s), relay_us_per_publish: +(d.server_cpu_s * 1e6 / d.published).toFixed(1),
    redis_us_per_publish: redisUs === undefined ? undefined : +redisUs.toFixed(1),
    publish_missing: d.missing, publish_duplicates: d.duplicates };
}

const rows = [];
for (const kind of ['memory', 'redis-1', ...(phases.has('delivery') ? ['redis-2-nginx'] : [])]) {
  const row = { setup: kind };
  if (kind !== 'redis-2-nginx' && phases.has('ingest')) {
    const s = await setup(kind);
    try {
      // The load generator on the other core: a child node process would be cleaner, but
      // this process does nothing else meanwhile.
      execFileSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' });
      for (const r of await measureIngest(s.base, s.pids, { seconds })) {
        row[`ingest_${r.batch}`] = r.events_per_s;
        row[`ingest_${r.batch}_server_cpu_pct`] = r.server_cpu_percent;
      }
    } finally {
      await s.stop();
    }
  }
  if (kind !== 'redis-2-nginx' && phases.has('publish')) {
    const p = await setup(kind, { redisOn: '1' });
    try {
      Object.assign(row, publishLoop(p));
    } finally {
      await p.stop();
    }
  }
  // 500 events/s is the issue's load; on this machine it fills the relay's core by itself
  // (memory mode: ~100 % CPU), so 100 events/s shows the bus's own cost with headroom.
  for (const rate of phases.has('delivery') ? [100, 500] : []) {
    const s = await setup(kind);
    try {
      const d = deliver(s.port, rate);
      Object.assign(row, { [`p50_ms_${rate}`]: d.latency_ms.p50, [`p99_ms_${rate}`]: d.latency_ms.p99,
        [`sustained_${rate}`]: d.sustained, [`missing_${rate}`]: d.missing, [`duplicates_${rate}`]: d.duplicates });
    } finally {
      await s.stop();
    }
  }
  rows.push(row);
  console.error(`bus bench: ${JSON.stringify(row)}`);
}

const memory = rows[0];
const pct = (x, y) => (x && y ? `${Math.round((100 * x) / y)} %` : '-');
const added = (r, rate) => {
  if (r === memory) return '';
  const d = r[`p99_ms_${rate}`] - memory[`p99_ms_${rate}`];
  return ` (${d >= 0 ? '+' : ''}${d.toFixed(2)})`;
};
const delivery = (r, rate) => (r[`p50_ms_${rate}`] === undefined ? '-'
  : `${r[`p50_ms_${rate}`]} / ${r[`p99_ms_${rate}`]}${added(r, rate)}${r[`sustained_${rate}`] ? '' : ' not sustained'}`);
const lost = (r) => (r.missing_100 === undefined ? '-' : `${r.missing_100 + r.missing_500}/${r.duplicates_100 + r.duplicates_500}`);
const lines = !phases.has('ingest') && !phases.has('delivery') ? [] : [
  '| setup | ingest single ev/s | ingest batch-100 ev/s | 1k subs x 100 ev/s: p50 / p99 ms (vs memory) | 1k subs x 500 ev/s: p50 / p99 ms (vs memory) | missing/dup |',
  '|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.setup} | ${r.ingest_1 ?? '-'} (${pct(r.ingest_1, memory.ingest_1)}) | ${r.ingest_100 ?? '-'} (${pct(r.ingest_100, memory.ingest_100)}) | ${delivery(r, 100)} | ${delivery(r, 500)} | ${lost(r)} |`),
];
const ratio = (x, y) => (x && y ? `${(x / y).toFixed(2)}x` : '-');
lines.push('', '| setup | closed-loop publishes/s (vs memory) | relay CPU us/publish (vs memory) | redis-server CPU us/publish | missing/dup |',
  '|---|---|---|---|---|',
  ...rows.filter((r) => r.publishes_per_s).map((r) => `| ${r.setup} | ${r.publishes_per_s} (${pct(r.publishes_per_s, memory.publishes_per_s)}) | ${r.relay_us_per_publish} (${ratio(r.relay_us_per_publish, memory.relay_us_per_publish)}) | ${r.redis_us_per_publish ?? '-'} | ${r.publish_missing}/${r.publish_duplicates} |`));
console.log(lines.join('\n'));
const dir = path.resolve('build/bench-results', new Date().toISOString().replace(/[:.]/g, '-'));
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, 'bus.json'), JSON.stringify(rows, null, 1));
fs.writeFileSync(path.join(dir, 'bus.md'), `${lines.join('\n')}\n`);
console.log(`written to ${path.relative(process.cwd(), dir)}/bus.{json,md}`);

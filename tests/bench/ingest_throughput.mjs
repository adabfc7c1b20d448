// Ingest throughput of POST /api/domain-events on the relay's one thread: single events and
// batches of 100, over keep-alive connections. Prints events/s of wall time and events per
// second of the relay's own CPU (its thread is one core), so a client-bound run shows as such.
// Usage: node tests/bench/ingest_throughput.mjs [seconds=5] [connections=8]
// Loopback only; starts its own relay and stops it.
import fs from 'node:fs';
import { RelayProcess } from '../blackbox/relay_process.mjs';

const seconds = Number(process.argv[2] ?? 5);
const connections = Number(process.argv[3] ?? 8);
const ticks = Number(process.env.CLK_TCK ?? 100);
const cpuSeconds = (pid) => {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticks; // utime + stime
};

const relay = await RelayProcess.start({ RELAY_LOG_LEVEL: 'warn', RELAY_MAX_BODY_BYTES: String(1 << 20),
  RELAY_MAX_PENDING_BYTES: String(4 << 20) });
try {
  const workers = 100;
  const created = Array.from({ length: workers }, (_, i) => ({ specversion: '1.0', id: `c${i}`, source: '/bench',
    type: 'CMLWorkerCreatedDomainEvent', data: { worker_id: `w${i}`, name: 'n', region: 'r', instance_type: 't',
      status: 'running', created_at: '2026-01-01T00:00:00Z' } }));
  if ((await relay.ingest(created)).status !== 202) throw new Error('seed failed');

  let seq = 0;
  const telemetry = () => {
    const n = seq++;
    return { specversion: '1.0', id: `t${n}`, source: '/bench', type: 'CMLWorkerTelemetryUpdatedDomainEvent',
      data: { worker_id: `w${n % workers}`, cpu_percent: n % 100, memory_percent: 50, labs_count: 1,
        collected_at: new Date(Date.UTC(2026, 0, 1) + 1000 + n).toISOString() } };
  };
  const results = [];
  for (const batch of [1, 100]) {
    const deadline = Date.now() + seconds * 1000;
    const cpu0 = cpuSeconds(relay.child.pid);
    const t0 = Date.now();
    let events = 0;
    await Promise.all(Array.from({ length: connections }, async () => {
      while (Date.now() < deadline) {
        const body = batch === 1 ? telemetry() : Array.from({ length: batch }, telemetry);
        const res = await relay.ingest(body);
        if (res.status !== 202) throw new Error(`status ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
        events += batch;
      }
    }));
    const wall = (Date.now() - t0) / 1000;
    const cpu = cpuSeconds(relay.child.pid) - cpu0;
    results.push({ batch, events, events_per_s: Math.round(events / wall),
      relay_cpu_percent: Math.round((cpu / wall) * 100), events_per_relay_cpu_s: Math.round(events / cpu) });
  }
  console.log(JSON.stringify({ seconds, connections, results }, null, 1));
} finally {
  relay.kill();
}

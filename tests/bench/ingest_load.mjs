// Drives POST /api/domain-events as fast as `connections` keep-alive clients can: single
// telemetry events or batches of 100, after 100 workers are created. Returns events/s of wall
// time and of the relay process's own CPU (one thread: one core), so a client-bound run shows.
import fs from 'node:fs';

const ticks = Number(process.env.CLK_TCK ?? 100);
export const cpuSeconds = (pid) => {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticks; // utime + stime
};

/** `base`: where to POST; `pids`: the processes whose CPU counts as the server's. */
export async function measureIngest(base, pids, { seconds = 5, connections = 8, batches = [1, 100], source = '/bench' } = {}) {
  const post = (events) => fetch(`${base}/api/domain-events`, {
    method: 'POST',
    headers: { 'content-type': Array.isArray(events) ? 'application/cloudevents-batch+json' : 'application/cloudevents+json' },
    body: JSON.stringify(events),
  });
  const workers = 100;
  const created = Array.from({ length: workers }, (_, i) => ({ specversion: '1.0', id: `c${i}`, source,
    type: 'CMLWorkerCreatedDomainEvent', data: { worker_id: `w${i}`, name: 'n', region: 'r', instance_type: 't',
      status: 'running', created_at: '2026-01-01T00:00:00Z' } }));
  const seeded = await post(created);
  if (seeded.status !== 202) throw new Error(`seed failed: ${seeded.status} ${await seeded.text()}`);

  let seq = 0;
  const telemetry = () => {
    const n = seq++;
    return { specversion: '1.0', id: `t${n}`, source, type: 'CMLWorkerTelemetryUpdatedDomainEvent',
      data: { worker_id: `w${n % workers}`, cpu_percent: n % 100, memory_percent: 50, labs_count: 1,
        collected_at: new Date(Date.UTC(2026, 0, 1) + 1000 + n).toISOString() } };
  };
  const cpu = () => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const results = [];
  for (const batch of batches) {
    const deadline = Date.now() + seconds * 1000;
    const cpu0 = cpu();
    const t0 = Date.now();
    let events = 0;
    await Promise.all(Array.from({ length: connections }, async () => {
      while (Date.now() < deadline) {
        const res = await post(batch === 1 ? telemetry() : Array.from({ length: batch }, telemetry));
        if (res.status !== 202) throw new Error(`status ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
        events += batch;
      }
    }));
    const wall = (Date.now() - t0) / 1000;
    const used = cpu() - cpu0;
    results.push({ batch, events, events_per_s: Math.round(events / wall),
      server_cpu_percent: Math.round((used / wall) * 100), events_per_server_cpu_s: Math.round(events / used) });
  }
  return results;
}

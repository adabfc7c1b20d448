// Fixed-rate latency of two or more relay binaries, alternated in one sitting (issue 24's
// bisect tool): each round runs every binary once per case, in turn (the order rotates each
// round, so neither always runs first), relay pinned to CPU 0 and sse-bench to CPU 1. Prints
// p50 / p99 per run and the median per binary and case.
//
//   node tests/bench/latency_ab.mjs --bench build/release/tests/sse-bench \
//        --rounds 3 [--duration 5] [--cases 1k_500,1k_1000] old=/path/a new=/path/b
import { spawn, execFileSync } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const benchBinary = path.resolve(opt('--bench', 'build/release/tests/sse-bench'));
const rounds = Number(opt('--rounds', '3'));
const duration = opt('--duration', '5');
const PORT = 18183;
const allCases = {
  '1k_200': ['--subscribers', '1000', '--rate', '200'],
  '1k_500': ['--subscribers', '1000', '--rate', '500'],
  '1k_1000': ['--subscribers', '1000', '--rate', '1000'],
};
const caseIds = opt('--cases', '1k_500,1k_1000').split(',');
const binaries = args.filter((a) => /^[\w.-]+=/.test(a)).map((a) => {
  const [name, file] = a.split(/=(.*)/s);
  return { name, file: path.resolve(file) };
});
if (binaries.length < 2) throw new Error('name two or more binaries: old=PATH new=PATH');

async function runOnce(binary, caseId) {
  const child = spawn('taskset', ['-c', '0', binary.file, '--host', '127.0.0.1', '--port', String(PORT),
    '--max-clients', '19500', '--log-level', 'warn'],
  { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, OTEL_SDK_DISABLED: 'true' } });
  try {
    for (let i = 0; ; i++) {
      try {
        await fetch(`http://127.0.0.1:${PORT}/healthz`);
        break;
      } catch {
        if (i > 200) throw new Error(`${binary.name} did not listen`);
        await sleep(50);
      }
    }
    let out;
    try {
      out = execFileSync('taskset', ['-c', '1', benchBinary, '--target', 'relay', '--port', String(PORT),
        '--server-pid', String(child.pid), '--json', ...allCases[caseId], '--duration', duration],
      { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
    } catch (e) {
      out = e.stdout?.toString() ?? '';
    }
    return JSON.parse(out.trim().split('\n').pop());
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

const results = {};
for (let round = 0; round < rounds; round++) {
  const order = binaries.map((_, i) => binaries[(i + round) % binaries.length]);
  for (const caseId of caseIds) {
    for (const binary of order) {
      const r = await runOnce(binary, caseId);
      ((results[caseId] ??= {})[binary.name] ??= []).push(r);
      console.log(`round ${round + 1} ${caseId} ${binary.name}: p50 ${r.latency_ms.p50} / p99 ${r.latency_ms.p99} ms` +
        ` sustained=${r.sustained} server_cpu=${r.server_cpu_pct}%`);
    }
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
console.log('\n| case | binary | p50 ms (median, runs) | p99 ms (median, runs) |\n|---|---|---|---|');
for (const caseId of caseIds) {
  for (const { name } of binaries) {
    const rs = results[caseId][name];
    const p50 = rs.map((r) => r.latency_ms.p50);
    const p99 = rs.map((r) => r.latency_ms.p99);
    console.log(`| ${caseId} | ${name} | ${median(p50)} (${p50.join(', ')}) | ${median(p99)} (${p99.join(', ')}) |`);
  }
}

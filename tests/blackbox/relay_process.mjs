// Starts the real sse-relay binary on a free loopback port and stops it like an operator.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installContractChecks } from './openapi_check.mjs';

// Every suite that starts a relay checks each answer and event against the OpenAPI contract.
installContractChecks();

const here = path.dirname(fileURLToPath(import.meta.url));
export const relayBinary =
  process.env.RELAY_BINARY ?? path.resolve(here, '../../build/release/sse-relay');

/** The binary's --help: every setting with its variable and default. */
export const relayHelp = () => execFileSync(relayBinary, ['--help'], { encoding: 'utf8' });

/** The default of a setting (RELAY_* or OTEL_*) as --help prints it; throws for an unknown one. */
export function settingDefault(variable) {
  const line = relayHelp().split('\n').find((l) => l.split(/\s+/).includes(variable));
  if (!line) throw new Error(`${variable} is not a setting of the binary`);
  return line.match(/\(default: ([^)]*)\)\s*$/)[1];
}

export async function freePort() {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

export class RelayProcess {
  /** The binary start() runs: RELAY_BINARY as it was when this module loaded, or what a
   *  benchmark comparing binaries sets here. */
  static binary = relayBinary;

  /** `port`: reuse one (a restart on the same address), else a free one. `launcher`: a
   *  command the binary runs under (e.g. `['prlimit', '--nofile=200', '--']`). */
  static async start(env = {}, args = [], port = undefined, launcher = []) {
    port ??= await freePort();
    const [command, ...argv] = [...launcher, RelayProcess.binary, '--host', '127.0.0.1', '--port', String(port), ...args];
    const child = spawn(command, argv, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const relay = new RelayProcess(child, port);
    await relay.#waitUntilListening();
    return relay;
  }

  constructor(child, port) {
    this.child = child;
    this.port = port;
    this.base = `http://127.0.0.1:${port}`;
    this.stdout = '';
    this.stderr = '';
    child.stdout.on('data', (d) => (this.stdout += d));
    child.stderr.on('data', (d) => (this.stderr += d));
    this.exited = once(child, 'exit').then(([code, signal]) => ({ code, signal }));
  }

  async #waitUntilListening() {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`relay exited: ${this.stderr}`);
      try {
        const res = await fetch(`${this.base}/healthz`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('relay did not start');
  }

  publish(body, headers = {}) {
    return fetch(`${this.base}/api/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  /** POST /api/domain-events with CloudEvents (one object or an array). */
  ingest(events, headers = {}) {
    return fetch(`${this.base}/api/domain-events`, {
      method: 'POST',
      headers: {
        'content-type': Array.isArray(events) ? 'application/cloudevents-batch+json' : 'application/cloudevents+json',
        ...headers,
      },
      body: JSON.stringify(events),
    });
  }

  async stats() {
    return (await fetch(`${this.base}/api/events/stats`)).json();
  }

  /** SIGTERM, then the exit code and how long the stop took. */
  async terminate() {
    const started = Date.now();
    this.child.kill('SIGTERM');
    const result = await this.exited;
    return { ...result, ms: Date.now() - started };
  }

  kill() {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** Resolves when `predicate()` is true, polling; rejects after `ms`. */
export async function eventually(predicate, ms = 10_000, what = 'condition') {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

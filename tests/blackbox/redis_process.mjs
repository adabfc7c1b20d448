// A real redis-server on a free loopback port with AOF on (appendfsync always unless asked),
// as the durability tests need; restartable on the same port and directory, like a crash.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually, freePort } from './relay_process.mjs';

export class RedisProcess {
  /** `launcher`: a command redis-server runs under (the benchmark pins it: taskset);
   *  `fsync`: appendfsync (always for the durability tests; everysec is Redis's default);
   *  `aof: false`: snapshots only (SAVE), so a restart comes back as of the last SAVE. */
  static async start({ launcher = [], fsync = 'always', aof = true } = {}) {
    const redis = new RedisProcess(await freePort(), mkdtempSync(path.join(tmpdir(), 'sse-relay-redis-')));
    redis.launcher = launcher;
    redis.fsync = fsync;
    redis.aof = aof;
    await redis.restart();
    return redis;
  }

  constructor(port, dir) {
    this.port = port;
    this.dir = dir;
    this.url = `redis://127.0.0.1:${port}`;
  }

  /** Starts (again) on the same port and directory: the AOF (or the last SAVE) is read back. */
  async restart() {
    const persistence = this.aof === false ? ['--appendonly', 'no']
      : ['--appendonly', 'yes', '--appendfsync', this.fsync ?? 'always'];
    const [command, ...argv] = [...(this.launcher ?? []), 'redis-server', '--port', String(this.port), '--bind',
      '127.0.0.1', '--dir', this.dir, '--save', '', ...persistence];
    this.child = spawn(command, argv, { stdio: 'ignore' });
    this.exited = once(this.child, 'exit');
    await eventually(() => new Promise((resolve) => {
      const s = net.connect(this.port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    }), 10_000, 'redis-server listening');
  }

  /** SIGKILL, as a crash. */
  async kill() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  async remove() {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** One redis-cli command; its output, trimmed. */
  cli(...args) {
    return new Promise((resolve, reject) => {
      const cli = spawn('redis-cli', ['-p', String(this.port), ...args]);
      let out = '';
      cli.stdout.on('data', (d) => { out += d; });
      cli.on('error', reject);
      cli.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`redis-cli ${args.join(' ')}: ${code}`))));
    });
  }
}

// Starts the shipped balancer configurations (deploy/nginx.conf, deploy/haproxy.cfg) on
// loopback in front of relay processes, substituting only their ${PLACEHOLDERS}.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually, freePort } from './relay_process.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const deploy = path.resolve(here, '../../deploy');

function render(file, vars) {
  // Only our ${NAME} placeholders; nginx's own $variables stay.
  return fs.readFileSync(path.join(deploy, file), 'utf8').replace(/\$\{(\w+)\}/g, (m, name) => vars[name] ?? m);
}

async function answering(base) {
  await eventually(async () => {
    try {
      return (await fetch(`${base}/healthz`)).ok;
    } catch {
      return false;
    }
  }, 10_000, `balancer at ${base}`);
}

class Balancer {
  constructor(child, port, prefix) {
    this.child = child;
    this.port = port;
    this.base = `http://127.0.0.1:${port}`;
    this.prefix = prefix;
    this.exited = once(child, 'exit');
  }

  /** SIGTERM: nginx's and haproxy's fast stop (a SIGKILLed nginx master leaves its worker). */
  async stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      await this.exited;
    }
    fs.rmSync(this.prefix, { recursive: true, force: true });
  }
}

/** nginx with deploy/nginx.conf in front of `ports` (relay replicas on 127.0.0.1);
 *  `launcher`: a command it runs under (the benchmark pins it: taskset). */
export async function startNginx(ports, launcher = []) {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'sse-relay-nginx-'));
  const port = await freePort();
  const servers = ports.map((p) => `server 127.0.0.1:${p} max_fails=1 fail_timeout=3s;`).join('\n    ');
  const conf = render('nginx.conf', { NGINX_PREFIX: prefix, NGINX_LISTEN: `127.0.0.1:${port}`, RELAY_SERVERS: servers });
  fs.writeFileSync(path.join(prefix, 'nginx.conf'), conf);
  const [command, ...argv] = [...launcher, 'nginx', '-p', prefix, '-c', path.join(prefix, 'nginx.conf'), '-g', 'daemon off;'];
  const child = spawn(command, argv, { stdio: ['ignore', 'inherit', 'inherit'] });
  const balancer = new Balancer(child, port, prefix);
  await answering(balancer.base);
  return balancer;
}

/** haproxy with deploy/haproxy.cfg in front of `ports`. */
export async function startHaproxy(ports) {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'sse-relay-haproxy-'));
  const port = await freePort();
  const servers = ports.map((p, i) => `server r${i + 1} 127.0.0.1:${p} check`).join('\n  ');
  const conf = render('haproxy.cfg', { HAPROXY_LISTEN: `127.0.0.1:${port}`, RELAY_SERVERS: servers });
  fs.writeFileSync(path.join(prefix, 'haproxy.cfg'), conf);
  const child = spawn('haproxy', ['-db', '-f', path.join(prefix, 'haproxy.cfg')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const balancer = new Balancer(child, port, prefix);
  await answering(balancer.base);
  return balancer;
}

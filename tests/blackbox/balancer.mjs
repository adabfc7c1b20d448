// Starts the shipped balancer configurations (deploy/nginx.conf, deploy/haproxy.cfg) on
// loopback in front of relay processes, substituting only their ${PLACEHOLDERS}.
import { execFileSync, spawn } from 'node:child_process';
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

/** nginx with deploy/nginx.conf in front of `ports` (relay replicas on 127.0.0.1), plain
 *  HTTP at `base` and HTTPS + HTTP/2 at `tlsBase` (a self-signed certificate for 127.0.0.1
 *  made here); `launcher`: a command it runs under (the benchmark pins it: taskset). */
export async function startNginx(ports, launcher = []) {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'sse-relay-nginx-'));
  const port = await freePort();
  const tlsPort = await freePort();
  const cert = path.join(prefix, 'cert.pem');
  const key = path.join(prefix, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const servers = ports.map((p) => `server 127.0.0.1:${p} max_fails=1 fail_timeout=3s;`).join('\n    ');
  const conf = render('nginx.conf', { NGINX_PREFIX: prefix, NGINX_LISTEN: `127.0.0.1:${port}`, RELAY_SERVERS: servers,
    NGINX_TLS_LISTEN: `127.0.0.1:${tlsPort}`, NGINX_TLS_CERT: cert, NGINX_TLS_KEY: key });
  fs.writeFileSync(path.join(prefix, 'nginx.conf'), conf);
  const [command, ...argv] = [...launcher, 'nginx', '-p', prefix, '-c', path.join(prefix, 'nginx.conf'), '-g', 'daemon off;'];
  const child = spawn(command, argv, { stdio: ['ignore', 'inherit', 'inherit'] });
  const balancer = new Balancer(child, port, prefix);
  balancer.tlsBase = `https://127.0.0.1:${tlsPort}`;
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

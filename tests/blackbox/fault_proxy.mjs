// A TCP proxy on loopback between a relay and its Redis, to put faults on the wire that a
// real network has and a local redis-server has not: latency, a stall (bytes held, the
// connection open), a cut (every connection reset) and a refusal of new connections.
// Faults apply to traffic already in flight as well as new, in both directions.
import net from 'node:net';

export class FaultProxy {
  /** Listens on an ephemeral loopback port and forwards to `target` ({ host, port }). */
  static async start(target) {
    const proxy = new FaultProxy(target);
    await new Promise((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    proxy.port = proxy.server.address().port;
    return proxy;
  }

  constructor(target) {
    this.target = target;
    this.delayMs = 0;
    this.paused = { up: false, down: false };
    this.refusing = false;
    this.pairs = new Set();
    this.held = []; // [socket, chunk] written while paused, in arrival order
    this.server = net.createServer((client) => this.#accept(client));
  }

  get url() { return `redis://127.0.0.1:${this.port}`; }

  /** Every chunk, either way, is forwarded `ms` later (order kept). */
  delay(ms) { this.delayMs = ms; }
  /** Holds the bytes from now on until resume(); connections stay open. `direction`: 'up'
   *  (relay to Redis), 'down' (Redis's replies: a command runs but its answer never comes)
   *  or 'both'. */
  pause(direction = 'both') {
    if (direction !== 'down') this.paused.up = true;
    if (direction !== 'up') this.paused.down = true;
  }
  resume() {
    this.paused = { up: false, down: false };
    const held = this.held;
    this.held = [];
    for (const [socket, chunk] of held) if (!socket.destroyed) socket.write(chunk);
  }
  /** Resets every open connection now (RST, as a dropped route or a killed peer). */
  cut() {
    for (const { client, upstream } of this.pairs) {
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    }
    this.pairs.clear();
    this.held = [];
  }
  /** New connections are reset at once while `on` (existing ones are left alone). */
  refuse(on = true) { this.refusing = on; }

  connections() { return this.pairs.size; }

  async close() {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }

  #accept(client) {
    if (this.refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(this.target.port, this.target.host ?? '127.0.0.1');
    const pair = { client, upstream };
    this.pairs.add(pair);
    // A chunk leaves no earlier than the one before it, whatever the delay was then.
    const forward = (to, direction) => {
      let lastDue = 0;
      return (chunk) => {
        const send = () => {
          if (to.destroyed) return;
          if (this.paused[direction]) this.held.push([to, chunk]);
          else to.write(chunk);
        };
        const due = Math.max(Date.now() + this.delayMs, lastDue);
        lastDue = due;
        if (due > Date.now()) setTimeout(send, due - Date.now());
        else send();
      };
    };
    client.on('data', forward(upstream, 'up'));
    upstream.on('data', forward(client, 'down'));
    const end = () => {
      this.pairs.delete(pair);
      if (!client.destroyed) client.destroy();
      if (!upstream.destroyed) upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  }
}

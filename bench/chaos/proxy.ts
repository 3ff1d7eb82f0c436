import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The load balancer in front of the instances: each callback goes to the next instance in turn.
 * An instance that is down answers nothing, so the proxy answers 502 and WeCom resends (to the
 * next instance). `loseAckEvery` drops every n-th 200 on the way back (the instance stored the
 * event, WeCom never hears so): WeCom resends the same request and the inbox must store it once.
 */
export class RoundRobinProxy {
  private next = 0;
  private server: http.Server | null = null;
  url = '';
  forwarded = 0;
  refused = 0;
  lostAcks = 0;

  constructor(private readonly targets: () => string[], private readonly loseAckEvery = 0) {}

  async start(): Promise<void> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const targets = this.targets();
        const target = targets[this.next++ % targets.length];
        const body = Buffer.concat(chunks);
        const up = http.request(`${target}${req.url}`, {
          method: req.method, agent, headers: { 'content-type': req.headers['content-type'] ?? 'text/xml', 'content-length': body.length },
        }, (upRes) => {
          const out: Buffer[] = [];
          upRes.on('data', (c: Buffer) => out.push(c));
          upRes.on('end', () => {
            this.forwarded++;
            if (upRes.statusCode === 200 && this.loseAckEvery > 0 && this.forwarded % this.loseAckEvery === 0) {
              this.lostAcks++;
              res.destroy();
              return;
            }
            res.writeHead(upRes.statusCode ?? 502, { 'content-type': upRes.headers['content-type'] ?? 'text/plain' });
            res.end(Buffer.concat(out));
          });
          upRes.on('error', () => res.destroy());
        });
        up.on('error', () => {
          this.refused++;
          if (!res.headersSent) {
            res.writeHead(502);
            res.end('instance down');
          }
        });
        up.end(body);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}

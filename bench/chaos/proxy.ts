import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The load balancer in front of the instances: each callback goes to the next instance in turn.
 * An instance that is down refuses the connection and the next one is tried; when none
 * answers (or one drops the connection mid-request) the proxy answers 502 and WeCom resends. `loseAckEvery` drops every n-th 200 on the way back (the instance stored the
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
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const targets = this.targets();
        const first = this.next++;
        const body = Buffer.concat(chunks);
        // As a load balancer does: an instance that refuses the connection is skipped for the next.
        const forward = (tries: number) => {
          const target = targets[(first + tries) % targets.length];
          const up = http.request(`${target}${req.url}`, {
            method: req.method, agent: false, headers: { 'content-type': req.headers['content-type'] ?? 'text/xml', 'content-length': body.length },
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
          up.on('error', (err: NodeJS.ErrnoException) => {
            if (err.code === 'ECONNREFUSED' && tries + 1 < targets.length) return forward(tries + 1);
            this.refused++;
            if (!res.headersSent) {
              res.writeHead(502);
              res.end('no instance answered');
            } else res.destroy();
          });
          up.end(body);
        };
        forward(0);
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

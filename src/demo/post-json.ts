import http from 'node:http';

/**
 * POSTs JSON to one of Fencun's machine APIs as a shop system or archive puller would, on a fresh
 * connection each time: a pooled keep-alive socket left idle while a job runs can be closed by the
 * server just as it is reused (ECONNRESET), and the demo's batches are few and large.
 */
export function postJson(url: string, token: string, body: unknown): Promise<{ status: number; text: string }> {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST', agent: false,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': data.length },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import axios, { AxiosInstance } from 'axios';

export interface WecomRequest {
  method: 'GET' | 'POST';
  /** Path under the API base, e.g. /cgi-bin/externalcontact/get. */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** A file sent as multipart/form-data instead of a JSON body (media/upload). */
  upload?: WecomUpload;
  timeoutMs: number;
}

export interface WecomUpload {
  /** The form field WeCom reads the file from ("media"). */
  field: string;
  filename: string;
  contentType: string;
  data: Buffer;
}

/**
 * A failure where WeCom gave no errcode: timeout, refused/reset connection, 5xx, non-JSON body.
 * `mayHaveReached` is false only when the request provably never left in full (refused, DNS,
 * a timeout while connecting or queued for a socket): then WeCom cannot have acted on it.
 */
export class TransportFailure extends Error {
  constructor(
    public readonly reason: string,
    public readonly mayHaveReached: boolean,
    public readonly retryable = true,
  ) {
    super(reason);
    this.name = 'TransportFailure';
  }
}

/**
 * One HTTP exchange with WeCom (or whatever WECOM_API_BASE points at). Returns the parsed JSON
 * body; retries, tokens and errcodes are the caller's business. URLs carry the access token or a
 * robot key, so neither the URL nor axios' error (which embeds it) ever leaves this function.
 */
export class WecomTransport {
  private readonly http: AxiosInstance;

  constructor(apiBase: string) {
    this.http = axios.create({
      baseURL: apiBase.replace(/\/+$/, ''),
      // Keep-alive: the API base is one origin; reconnecting per call wastes a TLS handshake.
      httpAgent: new http.Agent({ keepAlive: true, maxSockets: 32 }),
      httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 32 }),
      validateStatus: () => true,
      responseType: 'text',
      transformResponse: [(d: unknown) => d],
      maxRedirects: 0,
      proxy: false,
    });
  }

  async send(req: WecomRequest): Promise<Record<string, unknown>> {
    const boundary = `----fencun${randomBytes(12).toString('hex')}`;
    let res;
    try {
      res = await this.http.request<string>({
        method: req.method,
        url: req.path,
        params: stripUndefined(req.query),
        data: req.upload ? multipartBody(req.upload, boundary) : req.body === undefined ? undefined : JSON.stringify(req.body),
        headers: req.upload ? { 'Content-Type': `multipart/form-data; boundary=${boundary}` }
          : req.body === undefined ? undefined : { 'Content-Type': 'application/json' },
        timeout: req.timeoutMs,
      });
    } catch (err) {
      const e = err as { code?: string; message?: string; request?: { writableFinished?: boolean } };
      // Node's ClientRequest is writableFinished once every byte of the request went to the
      // kernel; before that WeCom cannot have a whole request to act on. Without a request
      // object to ask, assume the worst.
      const written = e.request?.writableFinished ?? true;
      if (e.code === 'ECONNABORTED' || e.code === 'ETIMEDOUT') {
        throw new TransportFailure(written ? `no answer within ${req.timeoutMs}ms` : `request not sent within ${req.timeoutMs}ms`, written);
      }
      throw new TransportFailure(e.code ? `connection failed (${e.code})` : 'connection failed', written);
    }
    // A gateway error may come after WeCom did the work.
    if (res.status >= 500) throw new TransportFailure(`HTTP ${res.status}`, true);
    let body: unknown;
    try {
      body = JSON.parse(res.data);
    } catch {
      // A 4xx page instead of JSON means WECOM_API_BASE points somewhere else: retrying cannot help.
      // A 4xx page is not WeCom's API answering: nothing was carried out.
      throw new TransportFailure(`HTTP ${res.status} with a body that is not JSON`, res.status < 400, res.status < 400);
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new TransportFailure(`HTTP ${res.status} with a non-object JSON body`, true);
    return body as Record<string, unknown>;
  }
}

/** One file part, as WeCom's media/upload expects it (filename and filelength in the disposition). */
function multipartBody(u: WecomUpload, boundary: string): Buffer {
  const name = u.filename.replace(/["\r\n]/g, '_');
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="${u.field}"; filename="${name}"; filelength=${u.data.length}\r\n`
    + `Content-Type: ${u.contentType}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'utf8'), u.data, Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8')]);
}

function stripUndefined(q: WecomRequest['query']): Record<string, string | number> | undefined {
  if (!q) return undefined;
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(q)) if (v !== undefined) out[k] = v;
  return out;
}

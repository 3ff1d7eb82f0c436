import type { z } from 'zod';
import type { Clock } from '../clock';
import type { Log } from '../log';
import type { Metrics } from '../ops/metrics';
import { isRepeatSafe, WecomEndpoint } from './endpoints';
import {
  configErrorMessage, WecomApiError, WecomConfigError, WecomOutcomeUnknownError, WecomRateLimitError, WecomResponseError,
  WecomUnavailableError,
} from './errors';
import { Draw, RateLimiter, RateRule } from './rate-limiter';
import { TransportFailure, WecomTransport, type WecomUpload } from './transport';

export interface CallSpec<S extends z.ZodType> {
  /** Path after /cgi-bin/, e.g. 'externalcontact/get'; also the metric and rate-limit label. Declared in endpoints.ts. */
  endpoint: WecomEndpoint;
  method: 'GET' | 'POST';
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** A file instead of a JSON body (media/upload). */
  upload?: WecomUpload;
  schema: S;
  /** false for gettoken and the robot webhook, which carry no access token. */
  authenticated?: boolean;
  /** Replaces the endpoint's own bucket (robot webhooks are limited per robot key). */
  draws?: Draw[];
  /** Drawn in addition to the endpoint's bucket (message/send: one per recipient). */
  extraDraws?: Draw[];
}

export interface InvokerOptions {
  agentId: number;
  transport: WecomTransport;
  limiter: RateLimiter;
  rules: Record<string, RateRule[]>;
  accessToken: { get(): Promise<string>; invalidate(token: string): Promise<void> };
  clock: Clock;
  log: Log;
  metrics: Metrics;
  timeoutMs: number;
  /** Retries for -1 and for transport failures (API.md 4.2: no more than 3); unsafe endpoints see below. */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** How long an endpoint rests after 45009 (frequency) and 45033 (concurrency). */
  rateLimitPauseMs: number;
  concurrencyPauseMs: number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

const TOKEN_REJECTED = new Set([40014, 42001]);
const CONFIG_LOG_INTERVAL_MS = 10 * 60_000;

/**
 * The single path every WeCom call takes: rate limiter, access token, one HTTP exchange, then
 * the errcode decides (API.md 4.2) — -1 and transport failures are retried with jittered
 * exponential backoff; 40014/42001 drop the token and retry once; 45009/45033 pause the endpoint
 * and surface as WecomRateLimitError; configuration errcodes stop at once with one operator line.
 *
 * An endpoint whose repeat is unsafe (endpoints.ts) is retried only after failures that
 * provably happened before the request left (refused, DNS, queued past the timeout) or that
 * WeCom answered with a refusal (40014/42001, 45009): once the request may have reached WeCom
 * — written and then a timeout or reset, a 5xx, or -1 — the call ends in a
 * WecomOutcomeUnknownError instead of a second attempt.
 */
export class WecomInvoker {
  private readonly configLogged = new Map<string, number>();

  constructor(private readonly o: InvokerOptions) {}

  async call<S extends z.ZodType>(spec: CallSpec<S>): Promise<z.output<S>> {
    const authenticated = spec.authenticated !== false;
    const draws = spec.draws ?? [{ key: spec.endpoint, rules: this.o.rules[spec.endpoint] ?? this.o.rules.default }];
    const repeatSafe = isRepeatSafe(spec.endpoint);
    let failures = 0;
    let busy = 0;
    let tokenRefreshed = false;
    for (;;) {
      await this.o.limiter.acquire(spec.endpoint, [...draws, ...(spec.extraDraws ?? [])]);
      const token = authenticated ? await this.o.accessToken.get() : undefined;
      const started = performance.now();
      let body: Record<string, unknown>;
      try {
        body = await this.o.transport.send({
          method: spec.method,
          path: `/cgi-bin/${spec.endpoint}`,
          query: token === undefined ? spec.query : { ...spec.query, access_token: token },
          body: spec.body,
          upload: spec.upload,
          timeoutMs: this.o.timeoutMs,
        });
      } catch (err) {
        if (!(err instanceof TransportFailure)) throw err;
        this.observe(spec.endpoint, 'network', started);
        if (!repeatSafe && err.mayHaveReached) throw this.outcomeUnknown(spec.endpoint, err.reason, null);
        if (err.retryable && failures < this.o.retries) {
          failures++;
          this.o.log.warn({ endpoint: spec.endpoint, attempt: failures, reason: err.reason }, 'WeCom call failed; retrying');
          await this.backoff(failures);
          continue;
        }
        throw new WecomUnavailableError(spec.endpoint, failures + 1, err.reason);
      }
      const errcode = body.errcode === undefined ? 0 : Number(body.errcode);
      this.observe(spec.endpoint, String(errcode), started);
      if (errcode === 0) return this.parse(spec, body);

      // -1 says WeCom was busy, not that it did nothing.
      if (errcode === -1 && !repeatSafe) throw this.outcomeUnknown(spec.endpoint, 'WeCom answered -1 (system busy)', -1);
      if (errcode === -1 && busy < this.o.retries) {
        busy++;
        this.o.log.warn({ endpoint: spec.endpoint, attempt: busy }, 'WeCom busy (-1); retrying');
        await this.backoff(busy);
        continue;
      }
      if (TOKEN_REJECTED.has(errcode) && token !== undefined && !tokenRefreshed) {
        tokenRefreshed = true;
        this.o.log.info({ endpoint: spec.endpoint, errcode }, 'WeCom rejected the access token; fetching a new one');
        await this.o.accessToken.invalidate(token);
        continue;
      }
      if (errcode === 45009 || errcode === 45033) {
        const pause = errcode === 45009 ? this.o.rateLimitPauseMs : this.o.concurrencyPauseMs;
        this.o.limiter.pause(spec.endpoint, pause);
        this.o.log.warn({ endpoint: spec.endpoint, errcode, pauseMs: pause }, 'WeCom rate limit reached; pausing the endpoint');
        throw new WecomRateLimitError(spec.endpoint, errcode, pause);
      }
      const advice = configErrorMessage(errcode, spec.endpoint, this.o.agentId);
      if (advice) {
        this.logConfigOnce(spec.endpoint, errcode, advice);
        throw new WecomConfigError(spec.endpoint, errcode, advice);
      }
      throw new WecomApiError(spec.endpoint, errcode, typeof body.errmsg === 'string' ? body.errmsg : '');
    }
  }

  private outcomeUnknown(endpoint: string, reason: string, errcode: number | null): WecomOutcomeUnknownError {
    this.o.log.warn({ endpoint, reason }, 'WeCom may have carried out this send without answering; not repeating it');
    return new WecomOutcomeUnknownError(endpoint, reason, errcode);
  }

  private parse<S extends z.ZodType>(spec: CallSpec<S>, body: Record<string, unknown>): z.output<S> {
    const r = spec.schema.safeParse(body);
    if (r.success) return r.data;
    const problem = r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
    this.o.log.error({ endpoint: spec.endpoint, problem }, 'WeCom response does not have the documented shape');
    throw new WecomResponseError(spec.endpoint, problem);
  }

  private observe(endpoint: string, errcode: string, started: number): void {
    this.o.metrics.wecomCalls.observe({ endpoint, errcode }, (performance.now() - started) / 1000);
    this.o.log.debug({ endpoint, errcode, ms: Math.round(performance.now() - started) }, 'WeCom call');
  }

  private backoff(attempt: number): Promise<void> {
    const ceiling = Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** (attempt - 1));
    return this.o.sleep(Math.round(ceiling * (0.5 + this.o.random() * 0.5)));
  }

  /** One clear line per problem, not one per failed call: a wrong secret fails every call. */
  private logConfigOnce(endpoint: string, errcode: number, advice: string): void {
    const key = `${errcode}:${errcode === 48002 ? endpoint : ''}`;
    const now = this.o.clock().getTime();
    const last = this.configLogged.get(key);
    if (last !== undefined && now - last < CONFIG_LOG_INTERVAL_MS) return;
    this.configLogged.set(key, now);
    this.o.log.error({ endpoint, errcode }, advice);
  }
}

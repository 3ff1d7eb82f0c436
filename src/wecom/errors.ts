import { AppError } from '../errors';

/**
 * Errors from WeCom calls, decided by `errcode` only (API.md 4.2: never branch on errmsg).
 * Every one names the endpoint; `errcode` is null when WeCom never answered with one.
 */
export class WecomError extends AppError {
  constructor(
    code: string,
    message: string,
    public readonly endpoint: string,
    public readonly errcode: number | null,
    options: { status?: number; details?: unknown; cause?: unknown } = {},
  ) {
    super(code, message, { status: 502, ...options });
    this.name = new.target.name;
  }
}

/** Any errcode without a dedicated class (41051 welcome code used, 81013 no valid recipient, …). */
export class WecomApiError extends WecomError {
  constructor(endpoint: string, errcode: number, errmsg: string) {
    super('WECOM_API_ERROR', `WeCom ${endpoint} failed with errcode ${errcode}`, endpoint, errcode, { details: { errmsg } });
  }
}

/**
 * 45009/45033 from WeCom, or the client's own limiter refusing to wait that long. The caller
 * should reschedule the work `retryAfterMs` from now rather than retry in a loop.
 */
export class WecomRateLimitError extends WecomError {
  constructor(endpoint: string, errcode: number | null, public readonly retryAfterMs: number) {
    super(
      'WECOM_RATE_LIMITED',
      errcode === null
        ? `WeCom ${endpoint} is over its frequency limit on this instance; retry in ${Math.ceil(retryAfterMs / 1000)}s`
        : `WeCom rate-limited ${endpoint} (${errcode}); retry in ${Math.ceil(retryAfterMs / 1000)}s`,
      endpoint, errcode, { status: 503 },
    );
  }

  /** Same as retryAfterMs (milliseconds). */
  get retryAfter(): number {
    return this.retryAfterMs;
  }
}

/** WeCom refused the setup itself (secret, IP allow-list, permission): retrying cannot help. */
export class WecomConfigError extends WecomError {
  constructor(endpoint: string, errcode: number, message: string) {
    super('WECOM_CONFIG', message, endpoint, errcode);
  }
}

/** auth/getuserinfo answered for someone who is not a member of the corp (openid / external user). */
export class WecomNotMemberError extends WecomError {
  constructor(public readonly openId: string | null, public readonly externalUserId: string | null) {
    super('WECOM_NOT_MEMBER', 'the signed-in WeChat user is not a member of this corp', 'auth/getuserinfo', 0, { status: 403 });
  }
}

/** Timeouts, refused connections and 5xx, after every retry. */
export class WecomUnavailableError extends WecomError {
  constructor(endpoint: string, attempts: number, cause: string) {
    super('WECOM_UNAVAILABLE', `WeCom ${endpoint} unreachable after ${attempts} attempt(s): ${cause}`, endpoint, null, { status: 503 });
  }
}

/**
 * An unsafe call (a send, see endpoints.ts) whose request may have reached WeCom without an
 * answer saying whether WeCom carried it out: a timeout or a reset after the request was
 * written, a 5xx, or -1 (system busy). The client never repeats it — a repeat could deliver
 * twice. The caller resolves it before any resend: message/send with enable_duplicate_check,
 * add_msg_template by looking the task up with get_groupmsg_list_v2, a welcome by its code.
 * Not a WecomUnavailableError on purpose: "retry later" is exactly the wrong reflex here.
 */
export class WecomOutcomeUnknownError extends WecomError {
  constructor(endpoint: string, public readonly reason: string, errcode: number | null = null) {
    super(
      'WECOM_OUTCOME_UNKNOWN',
      `WeCom ${endpoint} may or may not have been carried out (${reason}); it was not repeated, because a repeat could send twice`,
      endpoint, errcode, { status: 503 },
    );
  }
}

/** errcode 0 but a body that does not have the documented shape. */
export class WecomResponseError extends WecomError {
  constructor(endpoint: string, problem: string) {
    super('WECOM_BAD_RESPONSE', `WeCom ${endpoint} returned an unexpected response: ${problem}`, endpoint, 0);
  }
}

/** True when err is a WeCom error carrying exactly this errcode (e.g. 41051 for a used welcome code). */
export function isWecomErrcode(err: unknown, errcode: number): boolean {
  return err instanceof WecomError && err.errcode === errcode;
}

/** Operator guidance for errcodes that mean the configuration is wrong (API.md 4.2). */
export function configErrorMessage(errcode: number, endpoint: string, agentId: number): string | null {
  switch (errcode) {
    case 40001:
      return `WeCom rejected the secret for agent ${agentId} (40001): check WECOM_AGENT_SECRET`;
    case 40013:
      return `WeCom does not know this corp (40013): check WECOM_CORP_ID`;
    case 60020:
      return `WeCom refused this server's IP address for agent ${agentId} (60020): add the server's egress IP to the app's 企业可信IP in the WeCom admin console`;
    case 48002:
      return `agent ${agentId} has no permission for ${endpoint} (48002): add the app to 客户联系 → API → 可调用应用, or grant the permission in the WeCom admin console`;
    default:
      return null;
  }
}

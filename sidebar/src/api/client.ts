import type { ApiErrorBody } from '../../../src/sidebar-api/types';
import { t } from '../i18n/zh-CN';

/** Every call to /sidebar/api: JSON in and out, one error type, and re-login on 401. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const BASE = '/sidebar/api';

/** Sends the page through OAuth again and comes back to the same address. */
export function reauthenticate(): void {
  const here = location.pathname + location.search;
  location.replace(`/sidebar/auth/start?to=${encodeURIComponent(here)}`);
}

let onUnauthorized: () => void = reauthenticate;

/** Demo mode shows the identity picker instead of OAuth when there is no session. */
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(BASE + path, {
      method: init.method ?? 'GET',
      credentials: 'same-origin',
      headers: init.body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', t.errorNetwork);
  }
  if (res.status === 204) return undefined as T;
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // A proxy's HTML error page: fall through to the generic message.
  }
  if (res.ok) return body as T;
  const err = (body ?? {}) as Partial<ApiErrorBody>;
  if (res.status === 401 && err.code === 'SESSION_REQUIRED') {
    onUnauthorized();
    throw new ApiError(401, 'SESSION_REQUIRED', t.errorSession);
  }
  // A customer not in Fencun yet is fetched from WeCom on demand: "syncing" is not a server fault.
  if (err.code === 'CONTACT_SYNCING') throw new ApiError(res.status, err.code, t.errorSyncing);
  const message =
    res.status === 403 ? t.errorForbidden : res.status === 404 && path.startsWith('/contacts') ? t.errorNotFound : err.message || t.errorServer;
  throw new ApiError(res.status, err.code ?? 'HTTP_' + res.status, res.status >= 500 ? t.errorServer : message);
}

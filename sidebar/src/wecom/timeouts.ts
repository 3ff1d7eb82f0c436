/**
 * How long a call to the WeCom client's JS bridge may take. The client answers in well under a
 * second; a call that never answers (the SDK waiting on a registration that failed, a client that
 * drops the call) would otherwise leave the rep looking at a page that does nothing.
 */
export const BRIDGE_TIMEOUT_MS = 8000;

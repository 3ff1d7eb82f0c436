import pino, { Logger, DestinationStream } from 'pino';

export type Log = Logger;

/**
 * One JSON logger for the process. Secrets and message bodies are redacted by path so that a
 * careless `log.info({ config })` or `{ event }` cannot leak them.
 */
export function createLogger(level = 'info', destination?: DestinationStream): Log {
  return pino(
    {
      level,
      base: { service: 'fencun' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          '*.agentSecret', '*.callbackAesKey', '*.callbackToken', '*.sessionSecret', '*.apiToken',
          '*.access_token', '*.accessToken', '*.password', 'headers.authorization', 'headers.cookie',
          '*.Content', '*.content', '*.plaintext', '*.mobile', '*.remark_mobiles',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/** Shows a mobile number as 138****0001 in logs and operator output. */
export function maskMobile(mobile: string): string {
  return mobile.length >= 7 ? mobile.slice(0, 3) + '****' + mobile.slice(-4) : '****';
}

/**
 * Credentials of the simulated demo corp, used when no WECOM_* variables are set (`npm run demo`,
 * `npx fencun simulator`). They only ever open the local simulator.
 */
export const DEMO_CORP = {
  corpId: 'wwf3c0de0000demo01',
  agentId: 1000002,
  secret: 'fencun-demo-secret-local-simulator-only',
  callbackToken: 'FencunDemoToken',
  callbackAesKey: 'nVU3UKFDJDXQ2N1k6vkmy211RutEUwEyMUsSunvj8EY',
} as const;

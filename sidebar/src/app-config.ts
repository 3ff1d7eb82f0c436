/** Settings the server writes into index.html (<meta name="fencun-app">), readable before any API call. */
export interface AppConfig {
  corpId: string;
  agentId: number;
  demo: boolean;
}

export function readAppConfig(): AppConfig | null {
  try {
    const raw = document.querySelector('meta[name="fencun-app"]')?.getAttribute('content');
    const cfg = raw ? (JSON.parse(raw) as Partial<AppConfig>) : null;
    return cfg && typeof cfg.corpId === 'string' && cfg.corpId ? (cfg as AppConfig) : null;
  } catch {
    return null;
  }
}

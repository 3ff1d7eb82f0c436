import { ref, shallowRef, type Ref, type ShallowRef } from 'vue';
import { ApiError } from '../api/client';
import { t } from '../i18n/zh-CN';

export interface Resource<T> {
  data: ShallowRef<T | null>;
  error: Ref<ApiError | null>;
  loading: Ref<boolean>;
  /** Loads again; keeps the current data on screen while it does (pull to refresh). */
  reload(): Promise<void>;
  set(value: T): void;
}

/** A value fetched from the API with its loading and error states. */
export function useResource<T>(fetcher: () => Promise<T>): Resource<T> {
  const data = shallowRef<T | null>(null);
  const error = ref<ApiError | null>(null);
  const loading = ref(false);
  let seq = 0;
  async function reload(): Promise<void> {
    const mine = ++seq;
    loading.value = true;
    try {
      const v = await fetcher();
      if (mine !== seq) return;
      data.value = v;
      error.value = null;
    } catch (err) {
      if (mine !== seq) return;
      error.value = err instanceof ApiError ? err : new ApiError(0, 'CLIENT', (err as Error)?.message || t.errorServer);
    } finally {
      if (mine === seq) loading.value = false;
    }
  }
  return { data, error, loading, reload, set: (v) => (data.value = v) };
}

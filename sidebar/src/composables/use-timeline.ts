import { ref, shallowRef } from 'vue';
import type { TimelineItemView, TimelinePageView } from '../../../src/sidebar-api/types';
import { api } from '../api/client';

/** The customer's timeline: first page from the profile, older pages on scroll. */
export function useTimeline(externalUserId: string) {
  const items = shallowRef<TimelineItemView[]>([]);
  const cursor = ref<string | null>(null);
  const loadingMore = ref(false);
  const failed = ref(false);

  function reset(page: TimelinePageView): void {
    items.value = page.items;
    cursor.value = page.nextCursor;
    failed.value = false;
  }

  async function loadMore(): Promise<void> {
    if (loadingMore.value || !cursor.value) return;
    loadingMore.value = true;
    try {
      const page = await api<TimelinePageView>(
        `/contacts/${encodeURIComponent(externalUserId)}/timeline?before=${encodeURIComponent(cursor.value)}`,
      );
      const seen = new Set(items.value.map((i) => i.id));
      items.value = [...items.value, ...page.items.filter((i) => !seen.has(i.id))];
      cursor.value = page.nextCursor;
      failed.value = false;
    } catch {
      failed.value = true;
    } finally {
      loadingMore.value = false;
    }
  }

  return { items, cursor, loadingMore, failed, reset, loadMore };
}

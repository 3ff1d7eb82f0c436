import { ref, shallowRef } from 'vue';
import type { TimelineItemView, TimelinePageView } from '../../../src/sidebar-api/types';
import { api } from '../api/client';

/** What the filter chips ask the server for; null is everything (the profile's first page). */
export type TimelineFilter = 'messages' | 'orders' | 'notes' | 'system';

/** The customer's timeline: first page from the profile, older pages on scroll, one filter at a time. */
export function useTimeline(externalUserId: string) {
  const items = shallowRef<TimelineItemView[]>([]);
  const cursor = ref<string | null>(null);
  const loadingMore = ref(false);
  const failed = ref(false);
  const filter = ref<TimelineFilter | null>(null);
  let firstPage: TimelinePageView | null = null;
  /** Bumped on every filter change: a page that answers for an earlier filter is dropped. */
  let generation = 0;

  const path = (before: string | null) => {
    const q = new URLSearchParams();
    if (before) q.set('before', before);
    if (filter.value) q.set('filter', filter.value);
    return `/contacts/${encodeURIComponent(externalUserId)}/timeline?${q}`;
  };

  function show(page: TimelinePageView): void {
    items.value = page.items;
    cursor.value = page.nextCursor;
    failed.value = false;
  }

  function reset(page: TimelinePageView): void {
    firstPage = page;
    if (filter.value === null) show(page);
    else void setFilter(filter.value, true);
  }

  async function setFilter(next: TimelineFilter | null, force = false): Promise<void> {
    if (next === filter.value && !force) return;
    filter.value = next;
    const mine = ++generation;
    if (next === null && firstPage) return show(firstPage);
    items.value = [];
    cursor.value = null;
    loadingMore.value = true;
    try {
      const page = await api<TimelinePageView>(path(null));
      if (mine === generation) show(page);
    } catch {
      if (mine === generation) failed.value = true;
    } finally {
      if (mine === generation) loadingMore.value = false;
    }
  }

  async function loadMore(): Promise<void> {
    if (failed.value && items.value.length === 0) return setFilter(filter.value, true);
    if (loadingMore.value || !cursor.value) return;
    loadingMore.value = true;
    const mine = generation;
    try {
      const page = await api<TimelinePageView>(path(cursor.value));
      if (mine !== generation) return;
      const seen = new Set(items.value.map((i) => i.id));
      items.value = [...items.value, ...page.items.filter((i) => !seen.has(i.id))];
      cursor.value = page.nextCursor;
      failed.value = false;
    } catch {
      if (mine === generation) failed.value = true;
    } finally {
      if (mine === generation) loadingMore.value = false;
    }
  }

  return { items, cursor, loadingMore, failed, filter, reset, setFilter, loadMore };
}

import { onBeforeUnmount, watch, type Ref } from 'vue';

/** Calls `load` whenever the sentinel element comes within 300 px of the viewport. */
export function useInfiniteScroll(sentinel: Ref<HTMLElement | null>, load: () => void): void {
  let io: IntersectionObserver | null = null;
  watch(
    sentinel,
    (el) => {
      io?.disconnect();
      if (!el) return;
      io = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && load(), { rootMargin: '300px 0px' });
      io.observe(el);
    },
    { immediate: true },
  );
  onBeforeUnmount(() => io?.disconnect());
}

import { onBeforeUnmount, onMounted, ref } from 'vue';

export type PullState = 'idle' | 'pulling' | 'armed' | 'refreshing';

const THRESHOLD = 64;
const MAX = 96;

/**
 * Pull down at the top of the page to refresh. Listens on the window (the page scrolls as a
 * whole), so it never fights the timeline's own scrolling.
 */
export function usePullRefresh(refresh: () => Promise<unknown>) {
  const distance = ref(0);
  const state = ref<PullState>('idle');
  let startY: number | null = null;

  function onStart(e: TouchEvent): void {
    if (state.value === 'refreshing' || window.scrollY > 0) return;
    startY = e.touches[0].clientY;
  }
  function onMove(e: TouchEvent): void {
    if (startY === null) return;
    const dy = e.touches[0].clientY - startY;
    if (dy <= 0) {
      distance.value = 0;
      state.value = 'idle';
      return;
    }
    // Resistance: the further you pull, the less it follows.
    distance.value = Math.min(MAX, dy * 0.5);
    state.value = distance.value >= THRESHOLD ? 'armed' : 'pulling';
    if (e.cancelable) e.preventDefault();
  }
  async function onEnd(): Promise<void> {
    if (startY === null) return;
    startY = null;
    if (state.value !== 'armed') {
      distance.value = 0;
      state.value = 'idle';
      return;
    }
    state.value = 'refreshing';
    distance.value = 48;
    try {
      await refresh();
    } finally {
      state.value = 'idle';
      distance.value = 0;
    }
  }

  onMounted(() => {
    window.addEventListener('touchstart', onStart, { passive: true });
    window.addEventListener('touchmove', onMove, { passive: false });
    window.addEventListener('touchend', onEnd);
    window.addEventListener('touchcancel', onEnd);
  });
  onBeforeUnmount(() => {
    window.removeEventListener('touchstart', onStart);
    window.removeEventListener('touchmove', onMove);
    window.removeEventListener('touchend', onEnd);
    window.removeEventListener('touchcancel', onEnd);
  });
  return { distance, state };
}

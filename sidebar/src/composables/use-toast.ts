import { reactive } from 'vue';

/**
 * One toast at a time, gone after a moment. It goes to the half of the screen away from the
 * button that was tapped (the focused element), so it never covers 插入聊天 or whatever the rep
 * may tap next; it lets taps through as well.
 */
const state = reactive({ text: '', visible: false, top: false });
let timer: ReturnType<typeof setTimeout> | undefined;

export function toast(text: string, ms = 2200): void {
  state.text = text;
  state.visible = true;
  state.top = tappedInLowerHalf();
  clearTimeout(timer);
  timer = setTimeout(() => (state.visible = false), ms);
}

/** Where the rep last touched the screen: iOS does not focus a tapped button, so focus is not enough. */
let lastTapY: number | null = null;
if (typeof window !== 'undefined') {
  window.addEventListener('pointerdown', (e) => (lastTapY = e.clientY), { capture: true, passive: true });
}

function tappedInLowerHalf(): boolean {
  if (lastTapY !== null) return lastTapY > window.innerHeight / 2;
  const el = typeof document === 'undefined' ? null : document.activeElement;
  if (!el || el === document.body) return false;
  const r = el.getBoundingClientRect();
  return r.top + r.height / 2 > window.innerHeight / 2;
}

export function useToastState() {
  return state;
}

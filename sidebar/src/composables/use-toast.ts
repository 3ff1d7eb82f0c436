import { reactive } from 'vue';

/** One toast at a time, bottom of the screen, gone after a moment. */
const state = reactive({ text: '', visible: false });
let timer: ReturnType<typeof setTimeout> | undefined;

export function toast(text: string, ms = 2200): void {
  state.text = text;
  state.visible = true;
  clearTimeout(timer);
  timer = setTimeout(() => (state.visible = false), ms);
}

export function useToastState() {
  return state;
}

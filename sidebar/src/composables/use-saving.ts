import { ref } from 'vue';
import { toast } from './use-toast';

/**
 * One save from a sheet or form: a `saving` flag for the button, the success toast, and the
 * server's Chinese message as a toast when it fails (the form keeps what the rep typed).
 */
export function useSaving() {
  const saving = ref(false);
  async function run(save: () => Promise<void>, done: string, after?: () => void): Promise<void> {
    saving.value = true;
    try {
      await save();
      toast(done);
      after?.();
    } catch (err) {
      toast((err as Error).message);
    } finally {
      saving.value = false;
    }
  }
  return { saving, run };
}

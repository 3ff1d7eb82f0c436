import type { SimulatorAdmin } from './admin';
import { customerName } from './names';
import { Random } from './random';
import type { SimState } from './state';

const CUSTOMER_LINES = ['在吗？上次那款还有货吗', '谢谢，已经收到了', '什么时候有活动呀', '想预约周六到店', '发票开好了吗？', '🙏麻烦帮我查下物流'];
const REP_LINES = ['帮我看看今天要跟进谁', '提醒列表', '完成', '推迟到明天'];

export interface EmittedEvent {
  kind: string;
  text: string;
}

/**
 * Live random activity for the demo and `--emit-every`: new customers, messages, the odd
 * deletion and tag edit — each through the admin changes, so each raises its callback.
 */
export class RandomEmitter {
  private readonly r: Random;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly admin: SimulatorAdmin,
    private readonly state: SimState,
    seed = Date.now(),
    private readonly onEvent: (e: EmittedEvent) => void = () => undefined,
  ) {
    this.r = new Random(seed);
  }

  start(everyMs: number): void {
    this.stop();
    this.timer = setInterval(() => {
      try {
        this.onEvent(this.emitOne());
      } catch (err) {
        this.onEvent({ kind: 'error', text: (err as Error).message });
      }
    }, everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  emitOne(): EmittedEvent {
    const reps = [...this.state.followsByUser.entries()].filter(([, m]) => m.size > 0).map(([u]) => u);
    const allReps = reps.length ? reps : [...this.state.users.keys()];
    const rep = this.r.pick(allReps);
    const repName = this.state.users.get(rep)?.name ?? rep;
    const book = [...(this.state.followsByUser.get(rep)?.keys() ?? [])];
    const kind = this.r.weighted([['add', 40], ['kf', 20], ['app', 10], ['deleted_by_customer', 10], ['edit', 10], ['join_group', 10]] as const);
    const nameOf = (ext: string) => this.state.customers.get(ext)?.name ?? ext;

    if (kind === 'add' || book.length === 0) {
      const name = customerName(this.r);
      this.admin.addContact({ userId: rep, name, state: this.r.pick(['', 'store_qr', 'live_0315', 'xhs_note']) });
      return { kind: 'add_external_contact', text: `${repName} added customer ${name}` };
    }
    const ext = this.r.pick(book);
    switch (kind) {
      case 'kf': {
        const line = this.r.pick(CUSTOMER_LINES);
        this.admin.kfCustomerMessage({ externalUserId: ext, content: line });
        return { kind: 'kf_msg_or_event', text: `${nameOf(ext)} wrote to customer service: ${line}` };
      }
      case 'app':
        this.admin.appMessage({ userId: rep, content: this.r.pick(REP_LINES) });
        return { kind: 'app_message', text: `${repName} wrote to the app` };
      case 'deleted_by_customer':
        this.admin.customerDeletesRep({ userId: rep, externalUserId: ext });
        return { kind: 'del_follow_user', text: `${nameOf(ext)} deleted ${repName}` };
      case 'edit': {
        const tags = [...this.state.tagGroups.values()].flatMap((g) => g.tags.map((t) => t.id));
        this.admin.editContact({ userId: rep, externalUserId: ext, addTagIds: tags.length ? [this.r.pick(tags)] : [] });
        return { kind: 'edit_external_contact', text: `${repName} tagged ${nameOf(ext)}` };
      }
      case 'join_group': {
        const chats = [...this.state.groupChats.values()].filter((c) => c.owner === rep);
        if (chats.length === 0) {
          const { chatId } = this.admin.createGroupChat({ owner: rep, name: `${repName}的客户群`, externalUserIds: [ext] });
          return { kind: 'external_chat_create', text: `${repName} created group ${chatId}` };
        }
        const chat = this.r.pick(chats);
        this.admin.joinGroupChat({ chatId: chat.chatId, userIds: [ext], joinScene: this.r.pick([1, 2, 3]) });
        return { kind: 'external_chat_update', text: `${nameOf(ext)} joined ${chat.name}` };
      }
    }
  }
}

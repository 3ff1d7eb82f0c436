/**
 * The decrypted callback XML WeCom sends for each change (API.md section 3), shaped like the
 * official samples: strings in CDATA, numbers bare.
 */
export type SimEvent =
  | {
      kind: 'contact';
      changeType:
        | 'add_external_contact' | 'add_half_external_contact' | 'edit_external_contact'
        | 'del_external_contact' | 'del_follow_user' | 'transfer_fail';
      userId: string;
      externalUserId: string;
      state?: string;
      welcomeCode?: string;
      source?: string;
      failReason?: string;
    }
  | {
      kind: 'chat';
      changeType: 'create' | 'update' | 'dismiss';
      chatId: string;
      updateDetail?: 'add_member' | 'del_member' | 'change_owner' | 'change_name' | 'change_notice';
      joinScene?: number;
      quitScene?: number;
      memChangeList?: string[];
      lastMemVer?: string;
      curMemVer?: string;
    }
  | { kind: 'tag'; changeType: 'create' | 'update' | 'delete'; id: string; tagType: 'tag' | 'tag_group' }
  | { kind: 'app_text'; userId: string; content: string; msgId: string }
  | { kind: 'enter_agent'; userId: string }
  | { kind: 'template_card'; userId: string; eventKey: string; taskId: string; cardType: string; responseCode: string }
  | { kind: 'kf'; token: string; openKfId: string };

type Field = [name: string, value: string | number | string[] | undefined];

export function eventXml(e: SimEvent, corpId: string, agentId: number, createTime: number): string {
  const head = (from: string, msgType: string): Field[] => [
    ['ToUserName', corpId], ['FromUserName', from], ['CreateTime', createTime], ['MsgType', msgType],
  ];
  switch (e.kind) {
    case 'contact':
      return xml([
        ...head('sys', 'event'), ['Event', 'change_external_contact'], ['ChangeType', e.changeType],
        ['UserID', e.userId], ['ExternalUserID', e.externalUserId], ['State', e.state], ['WelcomeCode', e.welcomeCode],
        ['Source', e.source], ['FailReason', e.failReason],
      ]);
    case 'chat':
      return xml([
        ...head('sys', 'event'), ['Event', 'change_external_chat'], ['ChatId', e.chatId], ['ChangeType', e.changeType],
        ['UpdateDetail', e.updateDetail], ['JoinScene', e.joinScene], ['QuitScene', e.quitScene],
        ['MemChangeCnt', e.memChangeList?.length], ['MemChangeList', e.memChangeList],
        ['LastMemVer', e.lastMemVer], ['CurMemVer', e.curMemVer],
      ]);
    case 'tag':
      return xml([...head('sys', 'event'), ['Event', 'change_external_tag'], ['Id', e.id], ['TagType', e.tagType], ['ChangeType', e.changeType]]);
    case 'app_text':
      return xml([...head(e.userId, 'text'), ['Content', e.content], ['MsgId', e.msgId], ['AgentID', agentId]]);
    case 'enter_agent':
      return xml([...head(e.userId, 'event'), ['AgentID', agentId], ['Event', 'enter_agent'], ['EventKey', '']]);
    case 'template_card':
      // As doc 90240 shows a tap: the button's key, the card's task, a fresh single-use ResponseCode.
      return xml([
        ...head(e.userId, 'event'), ['Event', 'template_card_event'], ['EventKey', e.eventKey], ['TaskId', e.taskId],
        ['CardType', e.cardType], ['ResponseCode', e.responseCode], ['AgentID', agentId],
      ]);
    case 'kf':
      return xml([...head('sys', 'event'), ['Event', 'kf_msg_or_event'], ['Token', e.token], ['OpenKfId', e.openKfId]]);
  }
}

/** A short label for logs and the delivery list. */
export function eventLabel(e: SimEvent): string {
  switch (e.kind) {
    case 'contact':
      return e.changeType;
    case 'chat':
      return `external_chat_${e.changeType}${e.updateDetail ? ':' + e.updateDetail : ''}`;
    case 'tag':
      return `external_tag_${e.changeType}`;
    case 'app_text':
      return 'app_message';
    case 'enter_agent':
      return 'enter_agent';
    case 'template_card':
      return 'template_card_event';
    case 'kf':
      return 'kf_msg_or_event';
  }
}

function xml(fields: Field[]): string {
  const body = fields
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => {
      if (Array.isArray(v)) return `<${k}>${v.map((i) => `<Item>${cdata(i)}</Item>`).join('')}</${k}>`;
      return typeof v === 'number' ? `<${k}>${v}</${k}>` : `<${k}>${cdata(v as string)}</${k}>`;
    })
    .join('\n');
  return `<xml>\n${body}\n</xml>`;
}

function cdata(s: string): string {
  return `<![CDATA[${s.replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
}

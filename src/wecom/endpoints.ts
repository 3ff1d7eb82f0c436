/**
 * Every WeCom endpoint Fencun calls, and whether repeating it is safe. The invoker reads this
 * table before it retries anything: a safe endpoint (a read, or a write that sets a value) may be
 * repeated after a timeout, a reset, a 5xx or -1; an unsafe one (it creates a send) is repeated
 * only when the earlier attempt is known not to have reached WeCom, because WeCom may have
 * carried out a request it never answered, and a repeat would then deliver twice.
 */
export type Repeat = 'safe' | 'unsafe';

export const WECOM_ENDPOINTS = {
  // Credentials: reads; within validity WeCom returns the same token (API.md 4.1).
  gettoken: 'safe',
  get_jsapi_ticket: 'safe',
  'ticket/get': 'safe',

  // Customers and groups: reads.
  'externalcontact/list': 'safe',
  'externalcontact/get': 'safe',
  'externalcontact/batch/get_by_user': 'safe',
  'externalcontact/get_corp_tag_list': 'safe',
  'externalcontact/groupchat/list': 'safe',
  'externalcontact/groupchat/get': 'safe',
  // Writes that set a value: doing them twice leaves the same state (a tag already on stays on).
  'externalcontact/mark_tag': 'safe',
  'externalcontact/remark': 'safe',

  // Mass messages: creating a task twice makes two tasks, two confirmations asked of the rep, two
  // messages to every customer (API.md 4.10). The lookups are reads.
  'externalcontact/add_msg_template': 'unsafe',
  'externalcontact/get_groupmsg_list_v2': 'safe',
  'externalcontact/get_groupmsg_task': 'safe',
  'externalcontact/get_groupmsg_send_result': 'safe',
  // Sends a reminder to the member (at most 3 a day, API.md 4.10): a repeat is a second nudge.
  'externalcontact/remind_groupmsg_send': 'unsafe',
  // Cancelling a cancelled task leaves it cancelled.
  'externalcontact/cancel_groupmsg_send': 'safe',
  // The code is single-use, so WeCom itself refuses a second send with 41051 (API.md 4.12); the
  // client still treats it as a send, and the welcome sender resolves an unknown outcome.
  'externalcontact/send_welcome_msg': 'unsafe',

  // App messages, app group chats and robots: each accepted request is one delivered message.
  'message/send': 'unsafe',
  'appchat/send': 'unsafe',
  'webhook/send': 'unsafe',
  // A response_code may be used once (API.md 4.14a): after an unanswered attempt a repeat either
  // fails or updates the card again, so the caller decides.
  'message/update_template_card': 'unsafe',

  // Identity and members: reads. An OAuth code is single-use, but a repeat cannot do anything
  // twice — at worst WeCom refuses the spent code and the member signs in again.
  'auth/getuserinfo': 'safe',
  'user/get': 'safe',
  'department/list': 'safe',
  'user/simplelist': 'safe',
  // Temporary media (3 days): a repeat uploads the file again and yields a second media_id, which
  // is harmless (nothing is sent until the media is used in a message).
  'media/upload': 'safe',
  // A read positioned by cursor: the same cursor returns the same page.
  'kf/sync_msg': 'safe',
} as const satisfies Record<string, Repeat>;

export type WecomEndpoint = keyof typeof WECOM_ENDPOINTS;

export function isRepeatSafe(endpoint: WecomEndpoint): boolean {
  return WECOM_ENDPOINTS[endpoint] === 'safe';
}

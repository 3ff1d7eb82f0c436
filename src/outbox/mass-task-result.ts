/**
 * WeCom's fail_list of a mass task, as the outbox keeps it: the worker stores
 * `{ failList }` in wecom_result when add_msg_template creates the task (and later polls add
 * their counts beside it). Those customers or groups were filtered at creation (over the
 * receiving quota, or no longer the sender's) and never appear in the send results. Read by
 * campaigns and group content, whose tasks both go out as mass_task intents.
 * Empty for no result yet or one that is not JSON: a missing list must not stop tracking.
 */
export function massTaskFailList(wecomResult: string | null): string[] {
  if (!wecomResult) return [];
  try {
    const r = JSON.parse(wecomResult) as { failList?: unknown };
    return Array.isArray(r.failList) ? r.failList.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

import { REASON_LABELS } from '../pressure/labels';
import type { ReasonCode } from '../pressure/types';
import type { Digest, Kpi, NamedCustomer } from './compute';

/**
 * The digest as a WeCom app message: markdown (message/send supports it for app messages; WeCom
 * caps the content at 2048 bytes, so lists are short and the page has the rest). A quiet day is
 * two lines, not a report of zeros. Customer names are the WeCom name with the rep's remark
 * marked as a remark: this goes to a supervisor, never to a customer.
 */

export const MARKDOWN_MAX_BYTES = 2048;

export function reasonLabel(code: string): string {
  return REASON_LABELS[code as ReasonCode] ?? code;
}

export function dateZh(date: string): string {
  const [, m, d] = date.split('-').map(Number);
  return `${m}月${d}日`;
}

export function formatKpi(k: Kpi, v: number | null): string {
  if (v === null) return '—';
  return k.unit === 'rate' ? `${(v * 100).toFixed(1)}%` : (Math.round(v * 10) / 10).toString();
}

function trend(k: Kpi): string {
  const base = `**${formatKpi(k, k.value)}**`;
  const cmp = [k.prev7 !== null ? `近7天 ${formatKpi(k, k.prev7)}` : null, k.prev30 !== null ? `近30天 ${formatKpi(k, k.prev30)}` : null].filter(Boolean);
  return cmp.length ? `${base}（${cmp.join('，')}）` : base;
}

function names(list: NamedCustomer[], n: number, withNote = false): string {
  const shown = list.slice(0, n).map((c) => (withNote ? `${c.label}·${c.note}` : c.label)).join('、');
  return list.length > n ? `${shown} 等 ${list.length} 位` : shown;
}

export function digestMarkdown(d: Digest, o: { pageUrl: string; listLength: number }): string {
  const who = d.scope === 'corp' ? '全公司' : '团队';
  const title = `### ${dateZh(d.date)}${who}客户日报`;
  const link = `[查看图表和明细](${o.pageUrl})`;
  if (d.quiet) {
    return `${title}\n昨天${who}客户平稳：没有新增或流失，没有需要马上处理的客户。\n${link}`;
  }
  const n = o.listLength;
  const lines = [title];
  const lost = d.lostByCustomer.length + d.lostByRep.length;
  const newPart = d.newTotal ? `新增 **${d.newTotal}** 位（${d.newByState.slice(0, 4).map((s) => `${s.state} ${s.count}`).join('，')}）` : '没有新增客户';
  lines.push(`${newPart}；${lost ? `流失 **${lost}** 位` : '没有流失'}。`);
  const highLost = [...d.lostByCustomer, ...d.lostByRep].filter((c) => c.weight > 0);
  if (d.lostByCustomer.length) lines.push(`> 客户删除了员工 ${d.lostByCustomer.length} 位${highLost.some((c) => d.lostByCustomer.includes(c)) ? `，其中高价值：${names(d.lostByCustomer.filter((c) => c.weight > 0), n)}` : ''}`);
  if (d.lostByRep.length) lines.push(`> 员工删除了客户 ${d.lostByRep.length} 位${highLost.some((c) => d.lostByRep.includes(c)) ? `，其中高价值：${names(d.lostByRep.filter((c) => c.weight > 0), n)}` : ''}`);
  if (d.waiting.length) lines.push(`<font color="warning">高价值客户等待回复超时 ${d.waiting.length} 位</font>：${names(d.waiting, n, true)}`);
  if (d.atRisk.length || d.dormant.length) {
    lines.push(`高价值客户${d.atRisk.length ? `流失风险 ${d.atRisk.length} 位（${names(d.atRisk, n)}）` : ''}${d.atRisk.length && d.dormant.length ? '，' : ''}${d.dormant.length ? `沉睡 ${d.dormant.length} 位（${names(d.dormant, n)}）` : ''}`);
  }
  if (d.remindersDone || d.remindersOverdue) {
    const late = d.byRep.filter((r) => r.remindersOverdue > 0).sort((a, b) => b.remindersOverdue - a.remindersOverdue).slice(0, 3);
    lines.push(`提醒：完成 ${d.remindersDone} 条，逾期 ${d.remindersOverdue} 条${late.length ? `（${late.map((r) => `${r.name} ${r.remindersOverdue}`).join('，')}）` : ''}`);
  }
  if (d.campaigns && d.campaigns.sent + d.campaigns.deferred + d.campaigns.capped > 0) {
    lines.push(`群发给客户：送达 ${d.campaigns.sent} 人，顺延 ${d.campaigns.deferred} 人，因上限未发 ${d.campaigns.capped} 人`);
  }
  if (d.groupPosts && d.groupPosts.sent + d.groupPosts.deferred + d.groupPosts.capped > 0) {
    lines.push(`客户群发：发出 ${d.groupPosts.sent} 个群，顺延 ${d.groupPosts.deferred} 个群，因频次限制未发 ${d.groupPosts.capped} 个群`);
  }
  if (d.preventedTotal) {
    lines.push(`<font color="info">避免过度打扰 ${d.preventedTotal} 次</font>：${d.prevented.slice(0, 3).map((p) => `${reasonLabel(p.reason)} ${p.count}`).join('，')}`);
  }
  const under = d.byRep.filter((r) => r.underServed.length).sort((a, b) => b.underServed.length - a.underServed.length).slice(0, 3);
  if (under.length) lines.push(`关怀不足：${under.map((r) => `${r.name}（${names(r.underServed, 2)}）`).join('；')}`);
  const sat = d.byRep.filter((r) => r.saturated.length).sort((a, b) => b.saturated.length - a.saturated.length).slice(0, 3);
  if (sat.length) lines.push(`联系过多、先别再发：${sat.map((r) => `${r.name}（${names(r.saturated, 2)}）`).join('；')}`);
  const k = Object.fromEntries(d.kpis.map((x) => [x.key, x]));
  lines.push(`留存率 ${trend(k.retention)}；复购率 ${trend(k.repeatPurchase)}；响应达标 ${trend(k.responseCompliance)}；提醒完成 ${trend(k.reminderCompletion)}`);
  lines.push(link);
  return fit(lines);
}

/** Drops lines from the middle (the details) until the message fits WeCom's markdown limit. */
function fit(lines: string[]): string {
  const out = [...lines];
  while (Buffer.byteLength(out.join('\n')) > MARKDOWN_MAX_BYTES && out.length > 3) out.splice(out.length - 3, 1);
  let text = out.join('\n');
  while (Buffer.byteLength(text) > MARKDOWN_MAX_BYTES) text = text.slice(0, -10);
  return text;
}

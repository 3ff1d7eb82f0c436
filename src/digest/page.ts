import type { Digest, Kpi, NamedCustomer } from './compute';
import { dateZh, formatKpi, reasonLabel } from './message';
import type { Supervision } from './supervision';

/**
 * The digest page, rendered on the server with inline SVG charts: no script, no chart library,
 * nothing to download but this one document (a few KB gzipped), so it is light on a phone and
 * its first render needs no second request. A chart library would cost more than the page.
 */

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function sparkline(k: Kpi): string {
  const W = 280;
  const H = 56;
  const pts = k.daily.map((v, i) => ({ v, i })).filter((p): p is { v: number; i: number } => p.v !== null);
  if (pts.length === 0) return `<svg class="spark" viewBox="0 0 ${W} ${H}" role="img" aria-label="无数据"><text x="4" y="32" fill="#86909c" font-size="12">暂无数据</text></svg>`;
  const vs = pts.map((p) => p.v);
  let lo = Math.min(...vs);
  let hi = Math.max(...vs);
  if (hi === lo) { hi += k.unit === 'rate' ? 0.01 : 1; lo -= k.unit === 'rate' ? 0.01 : 1; }
  const n = k.daily.length - 1;
  const x = (i: number) => (i / n) * (W - 8) + 4;
  const y = (v: number) => H - 6 - ((v - lo) / (hi - lo)) * (H - 12);
  const path = pts.map((p, j) => `${j ? 'L' : 'M'}${x(p.i).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
  const last = pts[pts.length - 1];
  return `<svg class="spark" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(k.label)}近30天走势">`
    + `<path d="${path}" fill="none" stroke="#1a6dff" stroke-width="2" stroke-linejoin="round"/>`
    + `<circle cx="${x(last.i).toFixed(1)}" cy="${y(last.v).toFixed(1)}" r="3.5" fill="#1a6dff"/></svg>`;
}

function repBars(d: Digest): string {
  const rows = d.byRep.filter((r) => r.newCustomers + r.lost + r.remindersOverdue + r.prevented + r.remindersDone > 0).slice(0, 30);
  if (rows.length === 0) return '<p class="muted">昨天各员工没有新增、流失或提醒。</p>';
  const max = Math.max(1, ...rows.map((r) => Math.max(r.newCustomers, r.lost, r.remindersDone, r.remindersOverdue)));
  const bar = (v: number, color: string, yy: number) => `<rect x="90" y="${yy}" width="${((v / max) * 150).toFixed(1)}" height="6" rx="2" fill="${color}"/>`;
  const H = rows.length * 34 + 8;
  const body = rows.map((r, i) => {
    const top = i * 34 + 4;
    return `<text x="0" y="${top + 16}" font-size="12" fill="#1d2129">${esc(r.name.slice(0, 7))}</text>`
      + bar(r.newCustomers, '#00b42a', top) + bar(r.lost, '#f53f3f', top + 8) + bar(r.remindersDone, '#1a6dff', top + 16) + bar(r.remindersOverdue, '#ff7d00', top + 24)
      + `<text x="286" y="${top + 16}" font-size="11" fill="#4e5969" text-anchor="end">${r.newCustomers}/${r.lost}/${r.remindersDone}/${r.remindersOverdue}</text>`;
  }).join('');
  return `<div class="legend"><i style="background:#00b42a"></i>新增 <i style="background:#f53f3f"></i>流失 <i style="background:#1a6dff"></i>提醒完成 <i style="background:#ff7d00"></i>提醒逾期</div>`
    + `<svg class="bars" viewBox="0 0 290 ${H}" role="img" aria-label="各员工昨日情况">${body}</svg>`;
}

function list(title: string, items: NamedCustomer[], names: Map<string, string>, empty: string): string {
  if (items.length === 0) return `<section><h2>${esc(title)}</h2><p class="muted">${esc(empty)}</p></section>`;
  const rows = items.slice(0, 50).map((c) => `<tr data-customer="${esc(c.externalUserId)}"><td><a href="/sidebar/?contact=${encodeURIComponent(c.externalUserId)}">${esc(c.label)}</a></td><td>${esc(names.get(c.rep) ?? c.rep)}</td><td>${esc(c.note)}</td></tr>`).join('');
  return `<section><h2>${esc(title)} <span class="count">${items.length}</span></h2><table><thead><tr><th>客户</th><th>员工</th><th>说明</th></tr></thead><tbody>${rows}</tbody></table>`
    + (items.length > 50 ? `<p class="muted">另有 ${items.length - 50} 位未列出</p>` : '') + '</section>';
}

export function renderDigestPage(d: Digest, o: { teamOf: Supervision; rep: string | null; canPickTeam: boolean; timeZone?: string }): string {
  const names = new Map(d.byRep.map((r) => [r.rep, r.name]));
  const who = d.scope === 'corp' ? '全公司' : `${esc(d.supervisorName)}的团队`;
  const kpis = d.kpis.map((k) => `<div class="kpi" data-kpi="${k.key}"><div class="kl">${esc(k.label)}</div><div class="kv">${formatKpi(k, k.value)}</div>`
    + `<div class="kc">近7天 ${formatKpi(k, k.prev7)} · 近30天 ${formatKpi(k, k.prev30)}</div>${sparkline(k)}</div>`).join('');
  const newRows = d.newByState.map((s) => `<tr><td>${esc(s.state)}</td><td>${s.count}</td></tr>`).join('');
  const prevented = d.prevented.map((p) => `<tr><td>${esc(reasonLabel(p.reason))}</td><td>${p.count}</td></tr>`).join('');
  const repOptions = d.byRep.map((r) => `<option value="${esc(r.rep)}"${o.rep === r.rep ? ' selected' : ''}>${esc(r.name)}</option>`).join('');
  const lost = [...d.lostByCustomer.map((c) => ({ ...c, note: `客户删除了员工 · ${c.note}` })), ...d.lostByRep.map((c) => ({ ...c, note: `员工删除了客户 · ${c.note}` }))];
  const under = d.byRep.flatMap((r) => r.underServed);
  const saturated = d.byRep.flatMap((r) => r.saturated);
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${dateZh(d.date)}客户日报</title><style>
*{box-sizing:border-box}body{margin:0;font:14px/1.5 -apple-system,'PingFang SC','Microsoft YaHei',sans-serif;background:#f3f4f6;color:#1d2129}
header{background:#fff;padding:14px 16px;border-bottom:1px solid #e5e6eb}h1{font-size:18px;margin:0 0 4px}h2{font-size:15px;margin:0 0 8px}
main{max-width:1100px;margin:0 auto;padding:12px;display:grid;gap:12px;grid-template-columns:1fr}
@media(min-width:800px){main{grid-template-columns:1fr 1fr}.wide{grid-column:1/-1}}
section,.kpis{background:#fff;border-radius:12px;padding:14px}.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:10px;background:none;padding:0}
.kpi{background:#fff;border-radius:12px;padding:12px}.kl{color:#4e5969;font-size:13px}.kv{font-size:24px;font-weight:600}.kc{color:#86909c;font-size:12px}
.spark{width:100%;height:56px}.bars{width:100%}.legend{font-size:12px;color:#4e5969;margin-bottom:6px}.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 3px 0 8px}
table{width:100%;border-collapse:collapse;font-size:13px}td,th{text-align:left;padding:6px 4px;border-bottom:1px solid #f2f3f5;vertical-align:top}th{color:#86909c;font-weight:normal}
.muted{color:#86909c;margin:0}.count{color:#86909c;font-weight:normal}form{display:flex;gap:8px;flex-wrap:wrap;margin-top:8px}
input,select,button{font:inherit;padding:6px 8px;border:1px solid #c9cdd4;border-radius:8px;background:#fff}button{background:#1a6dff;color:#fff;border-color:#1a6dff}
a{color:#1a6dff;text-decoration:none}.good{color:#00b42a}.quiet{font-size:15px}summary{font-size:15px;font-weight:600}.defs{margin:8px 0 0;padding-left:18px;color:#4e5969;font-size:13px}
</style></head><body>
<header><h1>${dateZh(d.date)} · ${who}客户日报</h1><div class="muted">${d.reps} 位员工 · 名单中的“备注”是员工写给自己看的备注，仅内部可见</div>
<form method="get" action="/digest/">${o.canPickTeam ? `<input type="hidden" name="supervisor" value="${esc(o.teamOf.userId)}">` : ''}
<input type="date" name="date" value="${d.date}" aria-label="日期"><select name="rep" aria-label="员工"><option value="">全部员工</option>${repOptions}</select><button type="submit">查看</button></form></header>
<main>
${d.quiet ? '<section class="wide quiet" data-test="quiet"><p class="good">昨天客户平稳：没有新增或流失，没有需要马上处理的客户。</p></section>' : ''}
<div class="kpis wide">${kpis}</div>
<section data-test="new"><h2>新增客户 <span class="count">${d.newTotal}</span></h2>${newRows ? `<table><thead><tr><th>渠道（state）</th><th>人数</th></tr></thead><tbody>${newRows}</tbody></table>` : '<p class="muted">没有新增</p>'}</section>
<section data-test="prevented"><h2>避免过度打扰 <span class="count">${d.preventedTotal}</span></h2>${prevented ? `<table><thead><tr><th>原因</th><th>次数</th></tr></thead><tbody>${prevented}</tbody></table>` : '<p class="muted">昨天没有被拦下的联系</p>'}
${d.campaigns ? `<p class="muted" data-test="campaigns">群发给客户：送达 ${d.campaigns.sent} 人 · 顺延 ${d.campaigns.deferred} 人 · 因上限未发 ${d.campaigns.capped} 人</p>` : ''}
${d.groupPosts ? `<p class="muted" data-test="group-posts">客户群发：发出 ${d.groupPosts.sent} 个群 · 顺延 ${d.groupPosts.deferred} 个群 · 因频次限制未发 ${d.groupPosts.capped} 个群</p>` : ''}</section>
<section class="wide" data-test="reps"><h2>各员工昨日</h2>${repBars(d)}</section>
${list('流失客户', lost, names, '没有流失')}
${list('高价值客户等待回复超时', d.waiting, names, '没有超时等待的高价值客户')}
${list('高价值客户流失风险', d.atRisk, names, '没有')}
${list('高价值客户沉睡', d.dormant, names, '没有')}
${list('关怀不足（低于等级应有的联系频率）', under, names, '没有')}
${list('联系过多（多次未回复，先别再发）', saturated, names, '没有')}
<section class="wide" data-test="definitions"><details><summary>指标口径</summary><ul class="defs">
<li>按${o.timeZone === 'Asia/Shanghai' || !o.timeZone ? '北京' : esc(o.timeZone) + ' '}时间的自然日统计；趋势为前 7 天、前 30 天合计的分子除以合计的分母。</li>
<li>留存率：当天 0 点在的好友关系中，当天没有被删除（客户删员工或员工删客户）的比例；在职/离职继承不算流失。</li>
<li>客户删除：当天客户删除员工的人数（趋势为日均）。</li>
<li>复购率：截至当天的近 90 天内，有 2 笔及以上付款订单的客户占有订单客户的比例。</li>
<li>响应达标率：当天客户发起的等待中，在其等级的响应时限内得到回复的比例。</li>
<li>提醒完成率：当天到期的提醒中，当天内完成的比例。</li>
<li>完整定义见部署文档 docs/KPIS.md。</li></ul></details></section>
</main></body></html>`;
}

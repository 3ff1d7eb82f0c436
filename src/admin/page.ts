import { DateTime } from 'luxon';
import { DEAD_SHOWN, type OperationsSnapshot } from './operations';

/**
 * The console's Operations page and its sign-in form, rendered on the server as the digest page
 * is: inline CSS and SVG, no script, plain HTML forms for the actions (each a POST that answers
 * with a redirect back here), so it needs no front-end build and works with the keyboard.
 */

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const INBOX_LABELS: Record<string, string> = { pending: '待处理', processing: '处理中', done: '已完成', dead: '死信' };
const OUTBOX_LABELS: Record<string, string> = {
  pending: '待发送', running: '发送中', awaiting: '待成员确认', polling: '查询结果', sent: '已发送', failed: '失败', skipped: '已跳过', unknown: '结果未知',
};
const ALARM = new Set(['dead', 'failed', 'unknown']);
const JOB_STATUS: Record<string, string> = { running: '运行中', done: '完成', failed: '失败' };

const STYLE = `*{box-sizing:border-box}body{margin:0;font:14px/1.5 -apple-system,'PingFang SC','Microsoft YaHei',sans-serif;background:#f3f4f6;color:#1d2129}
header{background:#fff;padding:14px 24px;border-bottom:1px solid #e5e6eb;display:flex;align-items:center;gap:16px}h1{font-size:18px;margin:0}h2{font-size:15px;margin:0 0 10px}
header nav{color:#4e5969;flex:1}header nav b{color:#1a6dff}main{max-width:1240px;margin:0 auto;padding:16px 24px;display:grid;gap:16px;grid-template-columns:1fr 1fr}
.wide{grid-column:1/-1}section{background:#fff;border-radius:12px;padding:16px;min-width:0}
table{width:100%;border-collapse:collapse;font-size:13px}td,th{text-align:left;padding:6px 6px;border-bottom:1px solid #f2f3f5;vertical-align:top}th{color:#86909c;font-weight:normal}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#86909c;margin:0}.count{color:#86909c;font-weight:normal}.err{color:#cb2634;word-break:break-all}
.bars{width:100%}form.inline{display:inline;margin:0}button{font:inherit;padding:4px 12px;border:1px solid #1a6dff;border-radius:8px;background:#1a6dff;color:#fff;cursor:pointer}
button.ghost{background:#fff;color:#1a6dff}button:focus-visible,input:focus-visible{outline:2px solid #1a6dff;outline-offset:2px}.head{display:flex;justify-content:space-between;align-items:center;margin-bottom:10px}.head h2{margin:0}
.notice{grid-column:1/-1;background:#e8f3ff;border:1px solid #bedaff;border-radius:12px;padding:10px 16px}.notice.bad{background:#ffece8;border-color:#fdcdc5}code{font:12px ui-monospace,Menlo,monospace;background:#f2f3f5;padding:1px 4px;border-radius:4px}`;

export function formatTime(ms: number | null, zone: string): string {
  return ms === null ? '—' : DateTime.fromMillis(ms, { zone }).toFormat('yyyy-MM-dd HH:mm:ss');
}

function statusBars(counts: Record<string, number>, labels: Record<string, string>, aria: string): string {
  const entries = Object.entries(counts);
  const max = Math.max(1, ...entries.map(([, n]) => n));
  const rowH = 26;
  const body = entries.map(([status, n], i) => {
    const y = i * rowH;
    const color = ALARM.has(status) && n > 0 ? '#f53f3f' : status === 'done' || status === 'sent' ? '#00b42a' : '#1a6dff';
    return `<g data-status="${esc(status)}" data-count="${n}"><text x="0" y="${y + 16}" font-size="12" fill="#4e5969">${esc(labels[status] ?? status)}</text>`
      + `<rect x="84" y="${y + 6}" width="${Math.max(n > 0 ? 2 : 0, (n / max) * 380).toFixed(1)}" height="12" rx="3" fill="${color}"/>`
      + `<text x="560" y="${y + 16}" font-size="12" fill="#1d2129" text-anchor="end">${n}</text></g>`;
  }).join('');
  return `<svg class="bars" viewBox="0 0 560 ${entries.length * rowH}" role="img" aria-label="${esc(aria)}">${body}</svg>`;
}

export function renderAdminPage(s: OperationsSnapshot, o: { timezone: string; notice?: { text: string; bad: boolean } | null }): string {
  const t = (ms: number | null) => formatTime(ms, o.timezone);
  const deadRows = s.dead.map((e) => `<tr data-dead="${e.id}"><td class="n">${e.id}</td><td>${esc(e.kind)}</td><td>${t(e.receivedAt)}</td><td class="n">${e.attempts}</td>`
    + `<td class="err">${esc((e.lastError ?? '').slice(0, 160))}</td><td><form class="inline" method="post" action="/admin/inbox/${e.id}/retry"><button type="submit" class="ghost">重试</button></form></td></tr>`).join('');
  const dead = s.inbox.dead === 0
    ? '<p class="muted">没有死信事件。</p>'
    : `<table><thead><tr><th class="n">ID</th><th>类型</th><th>收到时间</th><th class="n">尝试</th><th>最后错误</th><th></th></tr></thead><tbody>${deadRows}</tbody></table>`
      + (s.inbox.dead > s.dead.length ? `<p class="muted">仅列出最新 ${DEAD_SHOWN} 条，共 ${s.inbox.dead} 条；“全部重试”会重试所有死信。</p>` : '');
  const failures = s.outboxFailures.length === 0
    ? '<p class="muted">近 24 小时没有失败或结果未知的发送。</p>'
    : `<table><thead><tr><th>errcode</th><th>状态</th><th class="n">条数</th><th>最近一次</th></tr></thead><tbody>${s.outboxFailures.map((f) =>
      `<tr data-errcode="${f.errcode ?? 'none'}" data-status="${esc(f.status)}"><td>${f.errcode ?? '（无，超时等）'}</td><td>${esc(OUTBOX_LABELS[f.status] ?? f.status)}</td><td class="n">${f.count}</td><td>${t(f.lastAt)}</td></tr>`).join('')}</tbody></table>`;
  const jobs = s.jobs.length === 0
    ? '<p class="muted">还没有任务运行记录。</p>'
    : `<table><thead><tr><th>任务</th><th>时段</th><th>状态</th><th>开始</th><th>结束</th><th>实例</th><th>摘要 / 错误</th></tr></thead><tbody>${s.jobs.map((j) =>
      `<tr data-job="${esc(j.job)}"><td>${esc(j.job)}</td><td>${esc(j.slot)}</td><td${j.status === 'failed' ? ' class="err"' : ''}>${esc(JOB_STATUS[j.status] ?? j.status)}${j.attempt > 1 ? `（第 ${j.attempt} 次）` : ''}</td>`
      + `<td>${t(j.startedAt)}</td><td>${t(j.finishedAt)}</td><td>${esc(j.instanceId)}</td><td${j.error ? ' class="err"' : ''}>${esc((j.error ?? j.summary ?? '').slice(0, 300))}</td></tr>`).join('')}</tbody></table>`;
  const wecom = (s.wecomErrors.length === 0
    ? '<p class="muted">本实例启动以来没有企业微信接口错误。</p>'
    : `<table><thead><tr><th>errcode</th><th>接口</th><th class="n">次数</th></tr></thead><tbody>${s.wecomErrors.map((w) =>
      `<tr data-wecom-errcode="${esc(w.errcode)}"><td>${esc(w.errcode === 'network' ? 'network（网络错误）' : w.errcode)}</td><td><code>${esc(w.endpoint)}</code></td><td class="n">${w.count}</td></tr>`).join('')}</tbody></table>`)
    + '<p class="muted" style="margin-top:8px">数据库不记录企业微信接口错误：这里是本实例进程启动以来的内存计数（Prometheus 指标 <code>fencun_wecom_api_call_duration_seconds_count</code>），不是全部实例近 24 小时的统计；多实例部署请在 Prometheus 中按实例汇总。</p>';
  const audit = s.audit.length === 0
    ? '<p class="muted">还没有操作记录。</p>'
    : `<table><thead><tr><th>时间</th><th>操作人</th><th>来源地址</th><th>操作</th><th>对象</th><th>说明</th></tr></thead><tbody>${s.audit.map((a) =>
      `<tr data-audit="${esc(a.action)}"><td>${t(a.at)}</td><td>${esc(a.actor)}</td><td>${esc(a.ip)}</td><td>${esc(ACTION_LABELS[a.action] ?? a.action)}</td><td>${esc(a.target ?? '')}</td><td>${esc(a.detail ?? '')}</td></tr>`).join('')}</tbody></table>`;
  const notice = o.notice ? `<div class="notice${o.notice.bad ? ' bad' : ''}" role="status">${esc(o.notice.text)}</div>` : '';
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>运维 · 分寸控制台</title><style>${STYLE}</style></head><body>
<header><h1>分寸控制台</h1><nav><a href="/admin/console/">群发活动、群日历、策略（完整控制台）</a> · <b>运维</b></nav><span class="muted">${t(s.now)}（${esc(o.timezone)}）</span>
<form class="inline" method="post" action="/admin/logout"><button type="submit" class="ghost">退出</button></form></header>
<main>${notice}
<section data-test="inbox"><h2>收件箱 <span class="count">企业微信回调事件</span></h2>${statusBars(s.inbox, INBOX_LABELS, '收件箱按状态')}</section>
<section data-test="outbox"><h2>发件箱 <span class="count">待发与已发消息</span></h2>${statusBars(s.outbox, OUTBOX_LABELS, '发件箱按状态')}</section>
<section class="wide" data-test="dead"><div class="head"><h2>死信事件 <span class="count">${s.inbox.dead}</span></h2>${s.inbox.dead > 0 ? '<form class="inline" method="post" action="/admin/inbox/retry-dead"><button type="submit">全部重试</button></form>' : ''}</div>${dead}</section>
<section data-test="outbox-failures"><h2>发送失败（近 24 小时，按 errcode）</h2>${failures}</section>
<section data-test="wecom-errors"><h2>企业微信接口错误（按 errcode）</h2>${wecom}</section>
<section class="wide" data-test="jobs"><h2>任务运行 <span class="count">最近 ${s.jobs.length} 次</span></h2>${jobs}</section>
<section class="wide" data-test="audit"><h2>操作审计 <span class="count">最近 ${s.audit.length} 条</span></h2>${audit}</section>
</main></body></html>`;
}

export const ACTION_LABELS: Record<string, string> = {
  'admin.sign-in': '登录',
  'admin.sign-out': '退出',
  'inbox.retry': '重试死信',
  'inbox.retry-all-dead': '重试全部死信',
  'campaign.create': '新建群发',
  'campaign.plan': '预演群发',
  'campaign.approve': '批准群发',
  'campaign.remind': '提醒成员发送',
  'campaign.cancel': '取消群发',
  'group-post.create': '新建群内容',
  'group-post.reschedule': '调整群内容时间',
  'group-post.cancel': '取消群内容',
  'group-post.import': '导入群内容',
  'policy.save': '保存策略版本',
};

export function renderLoginPage(o: { token: boolean; wecom: boolean; error?: string }): string {
  const wecom = o.wecom ? '<a class="wecom" href="/admin/auth/wecom/start">企业微信扫码登录</a><p class="muted" style="margin-top:8px">请用企业微信扫码登录；没有权限请联系管理员。</p>' : '';
  const token = o.token ? `<form method="post" action="/admin/login"><p class="muted">首次设置阶段：请输入服务器上配置的管理口令 <code>FENCUN_ADMIN_TOKEN</code>。</p>
<label for="token">管理口令</label><input id="token" name="token" type="password" autocomplete="current-password" required${o.wecom ? '' : ' autofocus'}>
<button type="submit">登录</button></form>` : '';
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>登录 · 分寸控制台</title><style>${STYLE}
.login{max-width:380px;margin:12vh auto;background:#fff;border-radius:12px;padding:28px}label{display:block;margin:16px 0 6px;color:#4e5969}
input{font:inherit;width:100%;padding:8px 10px;border:1px solid #c9cdd4;border-radius:8px}.login button{margin-top:16px;width:100%;padding:8px}
a.wecom{display:block;margin-top:16px;text-align:center;padding:9px;border-radius:8px;background:#1a6dff;color:#fff;text-decoration:none}a.wecom:focus-visible{outline:2px solid #1a6dff;outline-offset:2px}
.login form{margin-top:${o.wecom ? '20px;border-top:1px solid #f2f3f5;padding-top:8px' : '0'}}</style></head><body>
<div class="login" role="main"><h1>分寸控制台</h1>
${o.error ? `<p class="err" role="alert">${esc(o.error)}</p>` : ''}${wecom}${token}</div></body></html>`;
}

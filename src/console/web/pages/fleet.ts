/**
 * Fleet overview: every backend's state, health with the last check's reason, load, drain
 * progress and schedule (GetStatus, ListBackends), with enable / disable / drain. Redrawn
 * every 2 s, so state changes show without a reload.
 */
import { h, replace, table, time } from '../dom.js';
import type { Page, PageContext } from '../page.js';

interface Schedule { cron: string; timeZone?: string }
interface Backend { name: string; url: string; enabled?: boolean; maxLoad?: number; schedules?: Schedule[]; draining?: boolean }
interface Drain { known?: boolean; remaining?: number; drained?: boolean; since?: string }
interface StateChange { from?: string; to?: string; at?: string; reason?: string }
interface Status {
  history?: StateChange[];
  backend: string; state: string; health: string; load?: { running?: number; queued?: number; score?: number };
  lastCheckAt?: string; lastError?: string; inSchedule?: boolean; drain?: Drain; enabled?: boolean; draining?: boolean;
}

function drainCell(status: Status): string {
  if (!status.draining) return '';
  const drain = status.drain;
  if (drain === undefined || !drain.known) return 'draining (progress unknown: no health monitor)';
  return drain.drained ? `drained since ${time(drain.since)}` : `${drain.remaining ?? 0} running or queued, since ${time(drain.since)}`;
}

function scheduleCell(backend: Backend | undefined, status: Status): string {
  const schedules = backend?.schedules ?? [];
  if (schedules.length === 0) return 'always';
  const list = schedules.map((s) => `${s.cron} (${s.timeZone || 'UTC'})`).join('; ');
  return `${list}: ${status.inSchedule ? 'in' : 'outside'}`;
}

async function act(context: PageContext, verb: 'Enable' | 'Disable' | 'Drain', name: string): Promise<void> {
  const warning = verb === 'Drain'
    ? `Drain ${name}? It takes no new queries; running ones finish.`
    : verb === 'Disable' ? `Disable ${name}? It takes no new queries at once; running ones still reach it.` : `Enable ${name}? It takes new queries again.`;
  if (!window.confirm(warning)) return;
  try {
    await context.api.call(`BackendService/${verb}Backend`, { name });
    context.notify(verb === 'Drain' ? `draining ${name}` : `${verb.toLowerCase()}d ${name}`, 'info');
  } catch (error) {
    context.notify(error instanceof Error ? error.message : String(error));
  }
  await fleetPage.render(context);
}

export const fleetPage: Page = {
  id: 'fleet',
  title: 'Fleet',
  refreshMs: 2000,
  async render(context) {
    const [status, list] = await Promise.all([
      context.api.call<{ backends?: Status[]; monitored?: boolean; revision?: string; freshness?: { staleForMs?: string | number; staleReason?: string } }>('StatusService/GetStatus', { historyLimit: 1 }),
      context.api.call<{ backends?: Backend[] }>('BackendService/ListBackends'),
    ]);
    const byName = new Map((list.backends ?? []).map((b) => [b.name, b]));
    const rows = (status.backends ?? []).map((s) => {
      const backend = byName.get(s.backend);
      const actions = context.api.canWrite ? h('span', { class: 'actions' },
        s.enabled !== true || s.draining === true
          ? h('button', { type: 'button', data: { action: 'enable' }, onclick: () => void act(context, 'Enable', s.backend) }, 'Enable')
          : [
              h('button', { type: 'button', data: { action: 'disable' }, onclick: () => void act(context, 'Disable', s.backend) }, 'Disable'),
              h('button', { type: 'button', data: { action: 'drain' }, onclick: () => void act(context, 'Drain', s.backend) }, 'Drain'),
            ]) : null;
      return [
        h('span', { title: backend?.url ?? '' }, s.backend),
        h('span', { class: `state state-${s.state}` }, s.state),
        h('span', {}, s.health, s.lastError ? h('div', { class: 'reason' }, s.lastError) : null, s.lastCheckAt ? h('div', { class: 'muted' }, `checked ${time(s.lastCheckAt)}`) : null,
          s.history?.[0] === undefined ? null : h('div', { class: 'muted' }, `${s.history[0].to ?? ''} since ${time(s.history[0].at)}: ${s.history[0].reason ?? ''}`)),
        `${(s.load?.score ?? 0).toFixed(1)}${backend?.maxLoad !== undefined ? ` / ${backend.maxLoad}` : ''}`,
        `${s.load?.running ?? 0} running, ${s.load?.queued ?? 0} queued`,
        drainCell(s),
        scheduleCell(backend, s),
        actions,
      ];
    });
    replace(context.root,
      h('h2', {}, 'Fleet'),
      status.monitored ? null : h('p', { class: 'muted' }, 'No health monitor runs on this router: health, load and drain progress are unknown.'),
      Number(status.freshness?.staleForMs ?? 0) > 0
        ? h('p', { class: 'error', id: 'stale' }, `This router has not heard from its store for ${Math.round(Number(status.freshness?.staleForMs) / 1000)} s (${status.freshness?.staleReason ?? ''}): changes made elsewhere since may be missing.`)
        : null,
      table(['Backend', 'State', 'Health (last check)', 'Load', 'In flight', 'Drain', 'Schedule', context.api.canWrite ? 'Actions' : ''], rows, { id: 'fleet', class: 'grid' }),
      h('p', { class: 'muted' }, `routing revision ${status.revision ?? '?'} · refreshed ${time(new Date().toISOString())}`));
  },
};

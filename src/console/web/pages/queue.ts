/**
 * Queue: the queries the gateway queue holds (ListQueued), per group in the order they will be
 * admitted, with age, user and rule; never their SQL or credentials (the admin API has neither).
 */
import { h, replace, table } from '../dom.js';
import type { Page } from '../page.js';

interface Queued { id: string; group?: string; rule?: string; user?: string; source?: string; priority?: number; position?: number; ageMs?: string | number; state?: string }

export const queuePage: Page = {
  id: 'queue',
  title: 'Queue',
  refreshMs: 2000,
  async render(context) {
    try {
      const list = await context.api.call<{ queued?: Queued[] }>('QueryService/ListQueued', { group: '' });
      const queued = list.queued ?? [];
      replace(context.root, h('h2', {}, 'Gateway queue'),
        h('p', { class: 'muted', id: 'queue-summary' }, queued.length === 0 ? 'nothing is queued' : `${queued.length} queued`),
        table(['Group', 'Position', 'Waiting', 'User', 'Source', 'Rule', 'Priority', 'State'], queued.map((q) => [
          q.group ?? '', String(q.position ?? 0), `${Math.round(Number(q.ageMs ?? 0) / 1000)} s`, q.user ?? '', q.source ?? '', q.rule ?? '',
          String(q.priority ?? 0), q.state ?? '',
        ]), { id: 'queue', class: 'grid' }));
    } catch (error) {
      replace(context.root, h('h2', {}, 'Gateway queue'), h('p', { class: 'error' }, error instanceof Error ? error.message : String(error)));
    }
  },
};

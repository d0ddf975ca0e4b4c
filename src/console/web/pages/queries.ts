/**
 * Queries: the history (ListQueries), newest first, filtered by user, source, backend, outcome
 * and time; refusals with what the client was told; a query's owner and how the router knows
 * it (GetQueryOwner) on a click.
 */
import { FORWARDED, ROUTER_ERROR_KINDS } from '../../../routing/replies.js';
import { field, h, replace, table, time } from '../dom.js';
import type { Page, PageContext } from '../page.js';

export interface QueryRecord {
  queryId: string; backend?: string; group?: string; rule?: string; mechanism?: string; user?: string; source?: string;
  clientTags?: string[]; submittedAt?: string; outcome?: string; message?: string;
}

interface Owner { queryId: string; backend?: string; knownBy?: string; learnedBy?: string; inMemory?: boolean; inStore?: boolean; learnedAt?: string; summary?: string }

async function showOwner(context: PageContext, slot: HTMLElement, queryId: string): Promise<void> {
  try {
    const owner = await context.api.call<Owner>('QueryService/GetQueryOwner', { queryId });
    replace(slot, h('div', { class: 'owner', id: 'owner' },
      h('strong', {}, queryId), ': ', owner.summary ?? '',
      h('div', { class: 'muted' }, `owner ${owner.backend ?? '?'} · known by ${owner.knownBy ?? '?'}${owner.learnedBy ? ` (${owner.learnedBy})` : ''} · learned ${time(owner.learnedAt)} · ${owner.inMemory ? 'in memory' : 'not in memory'}, ${owner.inStore ? 'in the store' : 'not in the store'}`)));
  } catch (error) {
    replace(slot, h('p', { class: 'error', id: 'owner' }, error instanceof Error ? error.message : String(error)));
  }
}

/** A datetime-local value as an ISO timestamp, or undefined when empty. */
function isoOf(local: string): string | undefined {
  if (local === '') return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export const queriesPage: Page = {
  id: 'queries',
  title: 'Queries',
  async render(context) {
    const inputs = {
      user: h('input', { name: 'user' }),
      source: h('input', { name: 'source' }),
      backend: h('input', { name: 'backend' }),
      outcome: h('select', { name: 'outcome' }, h('option', { value: '' }, 'any'), [FORWARDED, ...ROUTER_ERROR_KINDS].map((o) => h('option', { value: o }, o))),
      from: h('input', { name: 'from', type: 'datetime-local', step: 1 }),
      to: h('input', { name: 'to', type: 'datetime-local', step: 1 }),
      limit: h('input', { name: 'limit', type: 'number', value: '100', min: 1, max: 10000 }),
    };
    const ownerSlot = h('div', { id: 'owner-slot' });
    const results = h('div', { id: 'query-results' });
    const search = async (): Promise<void> => {
      const request: Record<string, unknown> = { limit: Number(inputs.limit.value) || 100 };
      for (const key of ['user', 'source', 'backend', 'outcome'] as const) if (inputs[key].value.trim() !== '') request[key] = inputs[key].value.trim();
      const from = isoOf(inputs.from.value);
      const to = isoOf(inputs.to.value);
      if (from !== undefined) request.from = from;
      if (to !== undefined) request.to = to;
      try {
        const list = await context.api.call<{ queries?: QueryRecord[] }>('QueryService/ListQueries', request);
        const queries = list.queries ?? [];
        replace(results,
          h('p', { class: 'muted' }, `${queries.length} ${queries.length === 1 ? 'query' : 'queries'}, newest first`),
          table(['Submitted', 'Query', 'User', 'Source', 'Outcome', 'Backend', 'Group', 'Rule', 'Mechanism', 'Message'], queries.map((q) => [
            time(q.submittedAt),
            q.outcome === FORWARDED || q.outcome === undefined
              ? h('button', { type: 'button', class: 'link', title: 'who owns it, and how the router knows', onclick: () => void showOwner(context, ownerSlot, q.queryId) }, q.queryId)
              : q.queryId,
            q.user ?? '', q.source ?? '',
            h('span', { class: q.outcome === FORWARDED ? 'ok' : 'refused' }, q.outcome ?? ''),
            q.backend ?? '', q.group ?? '', q.rule ?? '', q.mechanism ?? '', q.message ?? '',
          ]), { id: 'queries', class: 'grid' }));
      } catch (error) {
        replace(results, h('p', { class: 'error' }, error instanceof Error ? error.message : String(error)));
      }
    };
    const form = h('form', { id: 'query-filters', class: 'row', onsubmit: (event: Event) => { event.preventDefault(); void search(); } },
      field('User', inputs.user), field('Source', inputs.source), field('Backend', inputs.backend), field('Outcome', inputs.outcome),
      field('From', inputs.from), field('To', inputs.to), field('At most', inputs.limit), h('button', { type: 'submit' }, 'Search'));
    replace(context.root, h('h2', {}, 'Query history'), form, ownerSlot, results);
    await search();
  },
};

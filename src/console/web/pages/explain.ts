/**
 * Explain: the decision the router would make now for a request described by its method,
 * path, listener port, the common Trino headers (or any header) and its SQL, with every rule tried and
 * every backend's eligibility (the admin API's Explain, read only).
 */
import { field, h, replace, table } from '../dom.js';
import type { Page, PageContext } from '../page.js';

/** The form's Trino fields and the headers they are sent as. */
const TRINO_FIELDS = [
  ['user', 'User', 'X-Trino-User'],
  ['source', 'Source', 'X-Trino-Source'],
  ['catalog', 'Catalog', 'X-Trino-Catalog'],
  ['schema', 'Schema', 'X-Trino-Schema'],
  ['clientTags', 'Client tags', 'X-Trino-Client-Tags'],
  ['routingGroup', 'Routing group', 'X-Trino-Routing-Group'],
] as const;

interface Condition { field: string; expected?: string; actual?: string; matched?: boolean }
interface RuleEvaluation { name: string; priority?: number; group: string; result: string; wouldMatch?: boolean; conditions?: Condition[] }
interface BackendEvaluation { backend: string; eligible?: boolean; reason?: string; health?: string; load?: number; inSchedule?: boolean; weight?: number }
interface GroupEvaluation { group: string; strategy: string; backends?: BackendEvaluation[]; picked?: string }
interface Explanation {
  outcome: string; mechanism?: string; backend?: string; backendCertain?: boolean; candidates?: string[]; group?: string; rule?: string;
  fellBackFrom?: string[]; rules?: RuleEvaluation[]; groups?: GroupEvaluation[]; reply?: { httpStatus?: number; reason?: string; message?: string };
  summary?: string; rewrittenPath?: string; statement?: { status?: string; kind?: string; tablesRead?: string[]; tablesWritten?: string[]; unknownReason?: string; detail?: string };
  facts?: { labeled?: { label: string; value: string }[] };
}

function result(explanation: Explanation): HTMLElement {
  const statement = explanation.statement;
  return h('section', { id: 'explanation' },
    h('p', { class: 'summary', id: 'summary' }, explanation.summary ?? ''),
    table(['Outcome', 'Mechanism', 'Backend', 'Group', 'Rule', 'Fell back from'], [[
      explanation.outcome, explanation.mechanism ?? '',
      `${explanation.backend ?? ''}${explanation.backend && explanation.backendCertain === false ? ` (one of ${(explanation.candidates ?? []).join(', ')})` : ''}`,
      explanation.group ?? '', explanation.rule || (explanation.mechanism === 'rules' ? '(default group)' : ''), (explanation.fellBackFrom ?? []).join(', '),
    ]], { class: 'grid' }),
    explanation.reply === undefined ? null : h('p', { class: 'error' }, `The router answers ${explanation.reply.httpStatus ?? ''} ${explanation.reply.reason ?? ''}: ${explanation.reply.message ?? ''}`),
    statement === undefined ? null : h('p', {}, `Statement: ${statement.status}${statement.kind ? ` ${statement.kind}` : ''}${statement.unknownReason ? ` (${statement.unknownReason}: ${statement.detail ?? ''})` : ''}; reads ${(statement.tablesRead ?? []).join(', ') || 'nothing'}; writes ${(statement.tablesWritten ?? []).join(', ') || 'nothing'}`),
    (explanation.facts?.labeled ?? []).length === 0 ? null : h('p', { class: 'muted' }, `The request as read: ${(explanation.facts?.labeled ?? []).map((f) => `${f.label} = ${f.value}`).join('; ')}`),
    h('h3', {}, 'Every rule, in evaluation order'),
    table(['Priority', 'Rule', 'Result', 'Conditions'], (explanation.rules ?? []).map((r) => [
      String(r.priority ?? ''), r.name,
      h('span', { class: `result result-${r.result}` }, r.result === 'not_reached' ? `not reached${r.wouldMatch ? ' (would match)' : ''}` : r.result.replace('_', ' ')),
      h('ul', {}, (r.conditions ?? []).map((c) => h('li', { class: c.matched ? 'ok' : 'no' }, `${c.matched ? '✓' : '✗'} ${c.field}: expected ${c.expected ?? ''}, got ${c.actual ?? '(none)'}`))),
    ]), { id: 'explain-rules', class: 'grid' }),
    h('h3', {}, 'Every group tried, with each backend'),
    (explanation.groups ?? []).map((g) => h('div', {},
      h('h4', {}, `${g.group} (${g.strategy})${g.picked ? `: picked ${g.picked}` : ': no member can take it'}`),
      table(['Backend', 'Eligible', 'Why not', 'Health', 'Load', 'In schedule', 'Weight'], (g.backends ?? []).map((b) => [
        b.backend, b.eligible ? 'yes' : 'no', b.reason ?? '', b.health ?? '', String(b.load ?? 0), b.inSchedule ? 'yes' : 'no', String(b.weight ?? ''),
      ]), { class: 'grid eligibility', data: { group: g.group } }))));
}

export const explainPage: Page = {
  id: 'explain',
  title: 'Explain',
  async render(context: PageContext) {
    const method = h('select', { name: 'method' }, ['POST', 'GET', 'DELETE', 'HEAD'].map((m) => h('option', { value: m }, m)));
    const path = h('input', { name: 'path', value: '/v1/statement' });
    const listenerPort = h('input', { name: 'listenerPort', type: 'number', min: 1, max: 65535, placeholder: '(any)' });
    const inputs = TRINO_FIELDS.map(([key, label]) => [key, field(label, h('input', { name: key }))] as const);
    const headers = h('textarea', { name: 'headers', rows: 3, placeholder: 'Other headers, one per line: Name: value' });
    const sql = h('textarea', { name: 'sql', rows: 4, placeholder: 'SELECT ... (for rules on the statement; empty: not given)' });
    const output = h('div', { id: 'explain-output' });
    const form = h('form', {
      id: 'explain-form', class: 'explain-form',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const sent: { name: string; value: string }[] = [];
        for (const [key, wrapper] of inputs) {
          const value = (wrapper.querySelector('input') as HTMLInputElement).value.trim();
          const header = TRINO_FIELDS.find((f) => f[0] === key)?.[2] as string;
          if (value !== '') sent.push({ name: header, value });
        }
        for (const line of headers.value.split('\n')) {
          const colon = line.indexOf(':');
          if (colon > 0) sent.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
        }
        const request: Record<string, unknown> = { method: method.value, path: path.value, headers: sent };
        if (sql.value.trim() !== '') request.sql = sql.value;
        if (listenerPort.value !== '') request.listenerPort = Number(listenerPort.value);
        context.api.call<Explanation>('ExplainService/Explain', request).then((explanation) => replace(output, result(explanation)),
          (error: unknown) => replace(output, h('p', { class: 'error' }, error instanceof Error ? error.message : String(error))));
      },
    },
    h('div', { class: 'row' }, field('Method', method), field('Path', path), field('Envoy listener port', listenerPort)),
    h('div', { class: 'row' }, inputs.map(([, wrapper]) => wrapper)),
    field('Headers', headers),
    field('SQL', sql),
    h('button', { type: 'submit' }, 'Explain'));
    replace(context.root, h('h2', {}, 'Explain a request'), h('p', { class: 'muted' }, 'What the router would decide now, without routing anything.'), form, output);
  },
};

/**
 * Groups and rules: the groups with their members, and the rules in evaluation order with
 * what each matches; a form creates or edits a rule, and the admin API's validation error is
 * shown next to the field it names. The conditions offered are the rule field table's
 * (src/routing/fields.ts): strings, tags and table names; other conditions of a rule edited
 * here are kept as they are.
 */
import { RULE_FIELDS } from '../../../routing/fields.js';
import { ApiError } from '../api.js';
import { field, h, replace, table } from '../dom.js';
import type { Page, PageContext } from '../page.js';

interface Member { backend: string; weight?: number }
interface Group { name: string; strategy: string; members?: Member[]; fallback?: string; isDefault?: boolean }
type Condition = Record<string, unknown>;
interface Rule { name: string; priority?: number; group: string; backend?: string; match?: Record<string, Condition | unknown>; requestedGroups?: string[]; noFallback?: boolean }

/** How each kind of field is written in proto3 JSON, and which ways the form offers. */
const FORM_KINDS: Readonly<Record<string, readonly string[]>> = {
  string: ['exact', 'anyOf', 'regex'],
  tags: ['containsAny', 'containsAll'],
  names: ['glob', 'regex'],
};
const LIST_WAYS = new Set(['anyOf', 'containsAny', 'containsAll', 'glob']);
const FORM_FIELDS = RULE_FIELDS.filter((f) => f.kind in FORM_KINDS);

/** One condition as text: `user ~ /^etl_/`, `source = airflow`, `client tags ∋ any of etl, batch`. */
export function describeCondition(key: string, condition: unknown): string {
  const definition = RULE_FIELDS.find((f) => f.key === key);
  const label = definition?.label ?? key;
  const spec = condition as Record<string, any>;
  if (typeof spec !== 'object' || spec === null) return `${label}: ${JSON.stringify(condition)}`;
  if (Array.isArray(spec)) return `${label} in ${spec.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(', ')}`;
  if ('exact' in spec) return `${label} = ${spec.exact}`;
  if ('regex' in spec) return `${label} ~ /${spec.regex}/`;
  if ('anyOf' in spec) return `${label} in ${(spec.anyOf.values ?? []).join(', ')}`;
  if ('containsAny' in spec) return `${label} has any of ${(spec.containsAny.values ?? []).join(', ')}`;
  if ('containsAll' in spec) return `${label} has all of ${(spec.containsAll.values ?? []).join(', ')}`;
  if ('glob' in spec) return `${label} like ${(spec.glob.values ?? []).join(', ')}`;
  return `${label}: ${Object.entries(spec).map(([k, v]) => `${k}=${String(v)}`).join(', ')}`;
}

/** The conditions a rule sets (proto3 JSON leaves empty ones out). */
function conditions(rule: Rule): [string, unknown][] {
  return Object.entries(rule.match ?? {}).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0) && !(typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0));
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

function showFieldErrors(form: HTMLElement, error: unknown): string | undefined {
  for (const slot of form.querySelectorAll<HTMLElement>('[data-error-for]')) slot.textContent = '';
  if (!(error instanceof ApiError)) return error instanceof Error ? error.message : String(error);
  let unplaced = error.fields.length === 0 ? error.message : undefined;
  for (const problem of error.fields) {
    // The closest slot: rule.match.user.regex is shown at rule.match.user.
    const slots = [...form.querySelectorAll<HTMLElement>('[data-error-for]')]
      .filter((slot) => problem.field === slot.dataset.errorFor || problem.field.startsWith(`${slot.dataset.errorFor}.`) || problem.field.startsWith(`${slot.dataset.errorFor}[`))
      .sort((a, b) => (b.dataset.errorFor?.length ?? 0) - (a.dataset.errorFor?.length ?? 0));
    const slot = slots[0];
    if (slot === undefined) unplaced = `${problem.field}: ${problem.message}`;
    else slot.textContent = problem.message;
  }
  return unplaced;
}

function ruleForm(context: PageContext, groups: readonly Group[], existing: Rule | undefined): HTMLElement {
  const name = h('input', { name: 'name', value: existing?.name ?? '', required: true, disabled: existing !== undefined });
  const priority = h('input', { name: 'priority', type: 'number', value: String(existing?.priority ?? 100) });
  const group = h('select', { name: 'group' }, groups.map((g) => h('option', { value: g.name, selected: g.name === existing?.group }, g.name)));
  const backend = h('input', { name: 'backend', value: existing?.backend ?? '', placeholder: '(any member of the group)' });
  const noFallback = h('input', { name: 'noFallback', type: 'checkbox', checked: existing?.noFallback === true });
  const rows = h('div', { class: 'conditions' });
  const kept: Record<string, unknown> = {};
  const addRow = (key = 'user', way?: string, value = ''): void => {
    const keySelect = h('select', { name: 'condition-field' }, FORM_FIELDS.map((f) => h('option', { value: f.key, selected: f.key === key }, f.label)));
    const waySelect = h('select', { name: 'condition-way' });
    const slot = h('span', { class: 'field-error' });
    const fillWays = (): void => {
      const kind = FORM_FIELDS.find((f) => f.key === keySelect.value)?.kind ?? 'string';
      replace(waySelect, (FORM_KINDS[kind] ?? []).map((w) => h('option', { value: w, selected: w === way }, w)));
      slot.dataset.errorFor = `rule.match.${snake(keySelect.value)}`;
    };
    keySelect.addEventListener('change', fillWays);
    fillWays();
    const input = h('input', { name: 'condition-value', value, placeholder: 'value (lists: comma-separated)' });
    const row = h('div', { class: 'condition' }, keySelect, waySelect, input,
      h('button', { type: 'button', class: 'link', onclick: () => row.remove() }, 'remove'), slot);
    rows.appendChild(row);
  };
  for (const [key, condition] of conditions(existing ?? { name: '', group: '' })) {
    const spec = condition as Record<string, any>;
    const way = typeof spec === 'object' && spec !== null ? Object.keys(spec)[0] : undefined;
    const editable = FORM_FIELDS.some((f) => f.key === key) && way !== undefined && !Array.isArray(spec);
    if (!editable) {
      kept[key] = condition;
      continue;
    }
    const value = spec[way];
    addRow(key, way, typeof value === 'string' ? value : (value?.values ?? []).join(', '));
  }
  if (existing === undefined) addRow();
  const problem = h('p', { class: 'error', id: 'rule-error' });
  const form = h('form', {
    class: 'rule-form', id: 'rule-form',
    onsubmit: (event: Event) => {
      event.preventDefault();
      const match: Record<string, unknown> = { ...kept };
      for (const row of rows.querySelectorAll('.condition')) {
        const [keySelect, waySelect] = row.querySelectorAll('select');
        const input = row.querySelector('input') as HTMLInputElement;
        const way = (waySelect as HTMLSelectElement).value;
        const text = input.value;
        match[(keySelect as HTMLSelectElement).value] = { [way]: LIST_WAYS.has(way) ? { values: text.split(',').map((v) => v.trim()).filter((v) => v !== '') } : text };
      }
      const rule: Rule = { name: name.value, priority: Number(priority.value), group: group.value, match, noFallback: noFallback.checked };
      if (backend.value.trim() !== '') rule.backend = backend.value.trim();
      if (existing?.requestedGroups !== undefined) rule.requestedGroups = existing.requestedGroups;
      const call = existing === undefined ? context.api.call('RuleService/CreateRule', { rule }) : context.api.call('RuleService/UpdateRule', { rule });
      call.then(async () => {
        context.notify(`${existing === undefined ? 'created' : 'updated'} rule ${rule.name}`, 'info');
        await routingPage.render(context);
      }, (error: unknown) => {
        problem.textContent = showFieldErrors(form, error) ?? '';
      });
    },
  },
  h('h3', {}, existing === undefined ? 'New rule' : `Edit rule ${existing.name}`),
  field('Name', name, 'rule.name'),
  field('Priority (lower runs first)', priority, 'rule.priority'),
  field('Group', group, 'rule.group'),
  field('Backend (optional)', backend, 'rule.backend'),
  field('Refuse instead of falling back', noFallback, 'rule.no_fallback'),
  h('fieldset', {}, h('legend', {}, 'Every condition must match (none: every request)'), rows,
    h('button', { type: 'button', class: 'link', onclick: () => addRow() }, 'add condition'), h('span', { class: 'field-error', data: { errorFor: 'rule.match' } })),
  Object.keys(kept).length === 0 ? null : h('p', { class: 'muted' }, `Kept as they are: ${Object.entries(kept).map(([k, v]) => describeCondition(k, v)).join('; ')}`),
  h('button', { type: 'submit' }, existing === undefined ? 'Create rule' : 'Save rule'),
  h('button', { type: 'button', class: 'link', onclick: () => form.remove() }, 'cancel'),
  problem);
  return form;
}

const STRATEGIES = ['round_robin', 'random', 'weighted', 'least_load'];

/** `trino-a, trino-b:2` -> members (a weight after a colon). */
function membersOf(text: string): Member[] {
  return text.split(',').map((part) => part.trim()).filter((part) => part !== '').map((part) => {
    const colon = part.lastIndexOf(':');
    return colon > 0 ? { backend: part.slice(0, colon).trim(), weight: Number(part.slice(colon + 1)) } : { backend: part };
  });
}

function groupForm(context: PageContext, groups: readonly Group[], existing: Group | undefined): HTMLElement {
  const name = h('input', { name: 'name', value: existing?.name ?? '', required: true, disabled: existing !== undefined });
  const strategy = h('select', { name: 'strategy' }, STRATEGIES.map((s) => h('option', { value: s, selected: s === (existing?.strategy ?? 'round_robin') }, s)));
  const members = h('input', { name: 'members', value: (existing?.members ?? []).map((m) => (m.weight !== undefined && m.weight !== 1 ? `${m.backend}:${m.weight}` : m.backend)).join(', '), placeholder: 'trino-a, trino-b:2' });
  const fallback = h('select', { name: 'fallback' }, h('option', { value: '' }, '(none)'),
    groups.filter((g) => g.name !== existing?.name).map((g) => h('option', { value: g.name, selected: g.name === existing?.fallback }, g.name)));
  const problem = h('p', { class: 'error', id: 'group-error' });
  const form = h('form', {
    class: 'rule-form', id: 'group-form',
    onsubmit: (event: Event) => {
      event.preventDefault();
      const group: Group = { name: name.value, strategy: strategy.value, members: membersOf(members.value) };
      if (fallback.value !== '') group.fallback = fallback.value;
      const call = existing === undefined ? context.api.call('GroupService/CreateGroup', { group }) : context.api.call('GroupService/UpdateGroup', { group });
      call.then(async () => {
        context.notify(`${existing === undefined ? 'created' : 'updated'} group ${group.name}`, 'info');
        await routingPage.render(context);
      }, (error: unknown) => {
        problem.textContent = showFieldErrors(form, error) ?? '';
      });
    },
  },
  h('h3', {}, existing === undefined ? 'New group' : `Edit group ${existing.name}`),
  field('Name', name, 'group.name'),
  field('Strategy', strategy, 'group.strategy'),
  field('Members (backend or backend:weight, comma-separated)', members, 'group.members'),
  field('Falls back to', fallback, 'group.fallback'),
  h('button', { type: 'submit' }, existing === undefined ? 'Create group' : 'Save group'),
  h('button', { type: 'button', class: 'link', onclick: () => form.remove() }, 'cancel'),
  problem);
  return form;
}

export const routingPage: Page = {
  id: 'routing',
  title: 'Groups & rules',
  async render(context) {
    const [groups, rules] = await Promise.all([
      context.api.call<{ groups?: Group[]; defaultGroup?: string }>('GroupService/ListGroups'),
      context.api.call<{ rules?: Rule[] }>('RuleService/ListRules'),
    ]);
    const groupList = groups.groups ?? [];
    const formSlot = h('div', { id: 'form-slot' });
    const openForm = (rule?: Rule): void => {
      replace(formSlot, ruleForm(context, groupList, rule));
      formSlot.scrollIntoView();
    };
    const openGroupForm = (group?: Group): void => {
      replace(formSlot, groupForm(context, groupList, group));
      formSlot.scrollIntoView();
    };
    const remove = async (rule: Rule): Promise<void> => {
      if (!window.confirm(`Delete rule ${rule.name}?`)) return;
      try {
        await context.api.call('RuleService/DeleteRule', { name: rule.name });
        context.notify(`deleted rule ${rule.name}`, 'info');
      } catch (error) {
        context.notify(error instanceof Error ? error.message : String(error));
      }
      await routingPage.render(context);
    };
    replace(context.root,
      h('h2', {}, 'Groups'),
      table(['Group', 'Strategy', 'Members', 'Falls back to', context.api.canWrite ? 'Actions' : ''], groupList.map((g) => [
        h('span', {}, g.name, g.isDefault ? h('span', { class: 'badge' }, 'default') : null),
        g.strategy,
        (g.members ?? []).map((m) => `${m.backend}${m.weight !== undefined && m.weight !== 1 ? ` ×${m.weight}` : ''}`).join(', '),
        g.fallback ?? '',
        context.api.canWrite ? h('button', { type: 'button', data: { action: 'edit' }, onclick: () => openGroupForm(g) }, 'Edit') : null,
      ]), { id: 'groups', class: 'grid' }),
      context.api.canWrite ? h('button', { type: 'button', id: 'new-group', onclick: () => openGroupForm() }, 'New group') : null,
      h('h2', {}, 'Rules, in evaluation order'),
      table(['Priority', 'Rule', 'Matches', 'Sends to', context.api.canWrite ? 'Actions' : ''], (rules.rules ?? []).map((r) => [
        String(r.priority ?? 100),
        r.name,
        conditions(r).length === 0 ? h('span', { class: 'muted' }, 'every request') : h('ul', {}, conditions(r).map(([k, v]) => h('li', {}, describeCondition(k, v)))),
        `${r.backend !== undefined ? `${r.backend}, then ` : ''}group ${r.group}${r.noFallback ? ' (no fallback)' : ''}${(r.requestedGroups ?? []).length > 0 ? `; client may ask for ${r.requestedGroups?.join(', ')}` : ''}`,
        context.api.canWrite ? h('span', { class: 'actions' },
          h('button', { type: 'button', data: { action: 'edit' }, onclick: () => openForm(r) }, 'Edit'),
          h('button', { type: 'button', data: { action: 'delete' }, onclick: () => void remove(r) }, 'Delete')) : null,
      ]), { id: 'rules', class: 'grid' }),
      h('p', { class: 'muted' }, `Requests no rule matches go to the default group, ${groups.defaultGroup ?? '?'}.`),
      context.api.canWrite ? h('button', { type: 'button', id: 'new-rule', onclick: () => openForm() }, 'New rule') : null,
      formSlot);
  },
};

/** Building the page: elements from tags, attributes and children. Text is always text (never parsed as HTML). */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

export interface Attributes {
  readonly [name: string]: string | number | boolean | null | undefined | ((event: Event) => void) | Readonly<Record<string, string>>;
}

/** `on<event>` attributes are listeners; value, checked, disabled, selected are properties; `data` a dataset. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'data' && typeof value === 'object') Object.assign(element.dataset, value);
    else if (name === 'value' || name === 'checked' || name === 'disabled' || name === 'selected') (element as unknown as Record<string, unknown>)[name] = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces everything in `parent` with `children`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A table with a header row; each row is a list of cells. */
export function table(headers: readonly string[], rows: readonly (readonly Child[])[], attributes: Attributes = {}): HTMLTableElement {
  return h('table', attributes,
    h('thead', {}, h('tr', {}, headers.map((name) => h('th', {}, name)))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((cell) => h('td', {}, cell))))));
}

/** `2026-12-07 23:10:04` in the browser's time zone, or an empty string. */
export function time(iso: string | undefined): string {
  if (iso === undefined || iso === '') return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** A labelled form control with a place for its error (data-error-for names the admin API's field). */
export function field(label: string, control: HTMLElement, apiField?: string): HTMLElement {
  return h('label', { class: 'field' }, h('span', {}, label), control, apiField === undefined ? null : h('span', { class: 'field-error', data: { errorFor: apiField } }));
}

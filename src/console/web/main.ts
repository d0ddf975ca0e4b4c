/**
 * The console page: a login form until a session exists, then a nav of the pages and the
 * page the URL fragment names (#/fleet). Pages that follow live state redraw on a timer.
 */
import { Api, ApiError, currentSession, login } from './api.js';
import { h, replace } from './dom.js';
import type { Page } from './page.js';
import { PAGES } from './pages/index.js';

const app = document.getElementById('app') as HTMLElement;

async function start(): Promise<void> {
  const session = await currentSession();
  if (session === undefined) showLogin();
  else showConsole(new Api(session));
}

function showLogin(problem?: string): void {
  const token = h('input', { type: 'password', name: 'token', id: 'token', autocomplete: 'current-password', required: true });
  const error = h('p', { class: 'error', id: 'login-error' }, problem ?? '');
  const form = h('form', {
    class: 'login',
    onsubmit: (event: Event) => {
      event.preventDefault();
      login(token.value).then((session) => {
        showConsole(new Api(session));
      }, (failure: unknown) => {
        error.textContent = failure instanceof Error ? failure.message : String(failure);
      });
    },
  },
  h('h1', {}, 'trino-envoy-router'),
  h('label', { for: 'token' }, 'Admin token or read-only token'),
  token,
  h('button', { type: 'submit' }, 'Log in'),
  error);
  replace(app, form);
  token.focus();
}

function showConsole(api: Api): void {
  const nav = h('nav', {},
    h('strong', {}, 'trino-envoy-router'),
    PAGES.map((page) => h('a', { href: `#/${page.id}`, data: { page: page.id } }, page.title)),
    h('span', { class: 'access', id: 'access' }, api.canWrite ? 'admin' : 'read-only'),
    h('button', { type: 'button', class: 'link', id: 'logout', onclick: () => void api.logout().finally(() => showLogin()) }, 'Log out'));
  const notice = h('div', { class: 'notice', id: 'notice', role: 'status' });
  const root = h('main', { id: 'page' });
  replace(app, nav, notice, root);
  let timer: number | undefined;
  let shown: Page | undefined;
  const notify = (message: string, kind: 'error' | 'info' = 'error'): void => {
    notice.className = `notice ${kind}`;
    notice.textContent = message;
  };
  const draw = async (page: Page): Promise<void> => {
    try {
      await page.render({ root, api, notify });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return showLogin('The session ended: log in again.');
      notify(error instanceof Error ? error.message : String(error));
    }
  };
  const open = (): void => {
    const id = location.hash.replace(/^#\/?/, '') || (PAGES[0] as Page).id;
    const page = PAGES.find((p) => p.id === id) ?? (PAGES[0] as Page);
    if (timer !== undefined) window.clearInterval(timer);
    timer = undefined;
    shown = page;
    notify('', 'info');
    for (const link of nav.querySelectorAll('a')) link.classList.toggle('current', link.dataset.page === page.id);
    root.replaceChildren();
    root.dataset.page = page.id;
    void draw(page);
    if (page.refreshMs !== undefined) timer = window.setInterval(() => { if (shown === page) void draw(page); }, page.refreshMs);
  };
  window.onhashchange = open;
  open();
}

void start();

/** What a page of the console is: one module in pages/, listed once in pages/index.ts. */
import type { Api } from './api.js';

export interface PageContext {
  readonly root: HTMLElement;
  readonly api: Api;
  /** Shows a message (an error of a call) above the page. */
  notify(message: string, kind?: 'error' | 'info'): void;
}

export interface Page {
  /** The URL fragment: #/<id>. */
  readonly id: string;
  readonly title: string;
  /** Draws the page; when `refreshMs` is set, called again that often while the page is shown. */
  render(context: PageContext): Promise<void>;
  readonly refreshMs?: number;
}

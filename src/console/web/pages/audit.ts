/**
 * Audit trail: every routing change (ListConfigHistory), newest first, with who made it and
 * what it changed; a full session can roll back to a revision (Rollback, itself recorded).
 */
import { h, replace, table, time } from '../dom.js';
import type { Page, PageContext } from '../page.js';

interface Author { token?: string; certificateSubject?: string; peer?: string; file?: string }
interface Change { revision: string | number; at?: string; method?: string; author?: Author; summary?: string }

/** The config file, the client certificate, or the token kind and peer: who made the change. */
export function authorText(author: Author | undefined): string {
  if (author === undefined) return '';
  if (author.file) return `file ${author.file}`;
  const who = author.certificateSubject ? `certificate ${author.certificateSubject}` : `${author.token || 'no'} token`;
  return author.peer ? `${who} from ${author.peer}` : who;
}

async function rollback(context: PageContext, revision: string): Promise<void> {
  if (!window.confirm(`Roll back to revision ${revision}? Its routing becomes current again, as a new revision.`)) return;
  try {
    const result = await context.api.call<{ revision?: string | number; changed?: boolean }>('ConfigService/Rollback', { toRevision: revision });
    context.notify(result.changed ? `rolled back to ${revision}: now revision ${result.revision}` : `revision ${revision} is what runs already`, 'info');
  } catch (error) {
    context.notify(error instanceof Error ? error.message : String(error));
  }
  await auditPage.render(context);
}

export const auditPage: Page = {
  id: 'audit',
  title: 'Audit trail',
  async render(context) {
    try {
      const page = await context.api.call<{ changes?: Change[] }>('ConfigService/ListConfigHistory', { limit: 100 });
      const changes = page.changes ?? [];
      const newest = changes[0]?.revision;
      replace(context.root, h('h2', {}, 'Audit trail'),
        h('p', { class: 'muted' }, `${changes.length} recorded ${changes.length === 1 ? 'change' : 'changes'}, newest first`),
        table(['Revision', 'When', 'Method', 'Who', 'What changed', context.api.canWrite ? 'Actions' : ''], changes.map((c) => [
          String(c.revision), time(c.at), c.method ?? '', authorText(c.author), c.summary ?? '',
          context.api.canWrite && c.revision !== newest
            ? h('button', { type: 'button', 'data-rollback': String(c.revision), onclick: () => void rollback(context, String(c.revision)) }, 'Roll back to this')
            : '',
        ]), { id: 'audit', class: 'grid' }));
    } catch (error) {
      replace(context.root, h('h2', {}, 'Audit trail'), h('p', { class: 'error' }, error instanceof Error ? error.message : String(error)));
    }
  },
};

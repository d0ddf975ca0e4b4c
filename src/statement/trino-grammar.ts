/**
 * The Trino grammar (dt-sql-parser's generated TrinoSqlLexer/TrinoSqlParser on antlr4ng).
 * The generated parser imports '../SQLParserBase' without an extension, which Node's ESM
 * loader rejects; a resolve hook scoped to dt-sql-parser's files adds '.js'. It is registered
 * once, before the grammar is first imported (in the worker, or in a test process).
 */
import { register } from 'node:module';

const EXTENSIONLESS_HOOK = `
export async function resolve(specifier, context, next) {
  if (specifier.startsWith('.') && !specifier.endsWith('.js') && context.parentURL && context.parentURL.includes('/dt-sql-parser/dist/')) {
    return next(specifier + '.js', context);
  }
  return next(specifier, context);
}`;

export type TrinoGrammar = typeof import('dt-sql-parser/dist/lib/trino/TrinoSqlParser.js') &
  typeof import('dt-sql-parser/dist/lib/trino/TrinoSqlLexer.js') & { readonly antlr: typeof import('antlr4ng') };

let loading: Promise<TrinoGrammar> | undefined;

export function loadTrinoGrammar(): Promise<TrinoGrammar> {
  loading ??= (async () => {
    register(`data:text/javascript,${encodeURIComponent(EXTENSIONLESS_HOOK)}`);
    const [parser, lexer, antlr] = await Promise.all([
      import('dt-sql-parser/dist/lib/trino/TrinoSqlParser.js'),
      import('dt-sql-parser/dist/lib/trino/TrinoSqlLexer.js'),
      import('antlr4ng'),
    ]);
    return { ...parser, ...lexer, antlr };
  })();
  return loading;
}

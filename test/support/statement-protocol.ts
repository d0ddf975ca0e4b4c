/**
 * The Trino client protocol spoken by hand, for tests that need what trino-client hides:
 * response headers (transactions), raw URLs (forged prefixes) and status codes.
 */
import { expect } from 'vitest';
import type { QueryResult, Trino } from 'trino-client';

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON (shape varies by endpoint) or the text. */
  readonly body: any;
}

export const ALICE: Readonly<Record<string, string>> = { 'X-Trino-User': 'alice' };

export async function answer(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('application/json')) body = JSON.parse(text);
  return { status: response.status, headers: response.headers, body };
}

export async function submit(url: string, sql: string, headers: Record<string, string> = ALICE): Promise<Answer> {
  return answer(await fetch(`${url}/v1/statement`, { method: 'POST', body: sql, headers }));
}

export async function get(uri: string, headers: Record<string, string> = ALICE): Promise<Answer> {
  return answer(await fetch(uri, { headers }));
}

/** Follows nextUri to the end, returning every answer (the first one included). */
export async function follow(first: Answer, headers: Record<string, string> = ALICE): Promise<Answer[]> {
  const answers = [first];
  for (let last = first; last.body?.nextUri !== undefined;) {
    last = await get(last.body.nextUri, headers);
    expect(last.status).toBe(200);
    answers.push(last);
  }
  return answers;
}

export async function runRaw(url: string, sql: string, headers: Record<string, string> = ALICE): Promise<Answer[]> {
  return follow(await submit(url, sql, headers), headers);
}

export function rowsOf(answers: readonly Answer[]): unknown[][] {
  return answers.flatMap((a) => (Array.isArray(a.body?.data) ? a.body.data : []));
}

/** The first value of a response header over a query's answers. */
export function headerOf(answers: readonly Answer[], name: string): string | undefined {
  for (const a of answers) {
    const value = a.headers.get(name);
    if (value !== null) return value;
  }
  return undefined;
}

export interface Collected {
  readonly rows: unknown[][];
  readonly results: QueryResult[];
  /** The query's error message, if it failed. */
  readonly error: string | undefined;
}

/** Reads a whole query through trino-client. */
export async function collect(trino: Trino, sql: string): Promise<Collected> {
  const rows: unknown[][] = [];
  const results: QueryResult[] = [];
  let error: string | undefined;
  for await (const result of await trino.query(sql)) {
    results.push(result);
    error ??= result.error?.message;
    rows.push(...((result.data ?? []) as unknown[][]));
  }
  return { rows, results, error };
}

/** Re-checks a condition until it holds (no timing asserted; gives up after many tries). */
export async function eventually(check: () => boolean | Promise<boolean>, tries = 500): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition never held');
}

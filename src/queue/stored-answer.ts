/** What a client's poll gets once its queued query is handed over: the cluster's own answer. */
export interface StoredAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

export function encodeAnswer(answer: StoredAnswer): string {
  return JSON.stringify(answer);
}

export function decodeAnswer(text: string): StoredAnswer | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<StoredAnswer>;
    if (typeof parsed.status !== 'number' || typeof parsed.contentType !== 'string' || typeof parsed.body !== 'string') return undefined;
    return { status: parsed.status, contentType: parsed.contentType, body: parsed.body };
  } catch {
    return undefined;
  }
}

/**
 * Keeps a label's values bounded: the first `max` distinct values pass, later new ones read
 * as "other". Metric series must never grow with traffic (a typo'd method, a new error kind
 * per request); names from the operator's config stay far below the cap.
 */
export const OVERFLOW_LABEL = 'other';
const MAX_VALUE_LENGTH = 128;

export class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(private readonly max: number) {}

  value(raw: string): string {
    if (this.seen.has(raw)) return raw;
    if (this.seen.size >= this.max || raw.length > MAX_VALUE_LENGTH) return OVERFLOW_LABEL;
    this.seen.add(raw);
    return raw;
  }
}

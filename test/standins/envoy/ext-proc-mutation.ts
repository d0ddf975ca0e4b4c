/**
 * Applying an ext_proc HeaderMutation / BodyMutation the way Envoy's MutationUtils and the
 * mutation_rules Checker do:
 * - values are read from raw_value only; `value` alone yields an empty value; both set is no
 *   error, raw_value wins;
 * - `append` (BoolValue) unset/false overwrites, true appends; `append_action` is ignored;
 * - by default `host`, `:authority`, `:method`, `:scheme` and `x-envoy-*` may not be changed
 *   (silently dropped, or an error with disallow_is_error), pseudo headers and `host` may never
 *   be removed, appending to a pseudo header is refused; `:path` may be set;
 * - invalid names/values, too many entries, or a result over the size limits are errors.
 */
import type { MutationRulesConfig } from './config.js';
import { headerNameIsValid, headerValueIsValid, type HeaderMap } from './header-map.js';
import type { PbBodyMutationIn, PbHeaderMutationIn } from './protos.js';

type CheckOp = 'set' | 'append' | 'remove';
type CheckResult = 'ok' | 'ignore' | 'fail';

const ROUTING_HEADERS = new Set(['host', ':authority', ':method', ':scheme']);

export class MutationChecker {
  constructor(private readonly rules: MutationRulesConfig) {}

  /** Used for mutations and (as current Envoy does) for ImmediateResponse headers too. */
  check(op: CheckOp, name: string, value: string): CheckResult {
    if (this.isAllowed(op, name) && (op === 'remove' || this.isValidValue(name, value))) return 'ok';
    return this.rules.disallowIsError ? 'fail' : 'ignore';
  }

  private isAllowed(op: CheckOp, name: string): boolean {
    if (op === 'remove' && (name.startsWith(':') || name === 'host')) return false;
    if (this.rules.disallowExpression?.test(name)) return false;
    if (this.rules.allowExpression?.test(name)) return true;
    if (this.rules.disallowAll) return false;
    if (!this.rules.allowAllRouting && ROUTING_HEADERS.has(name)) return false;
    if (name.startsWith(':') && (op === 'append' || this.rules.disallowSystem)) return false;
    if (!this.rules.allowEnvoy && name.startsWith('x-envoy')) return false;
    return true;
  }

  private isValidValue(name: string, value: string): boolean {
    if (!name.startsWith(':') && !headerValueIsValid(value)) return false;
    if ((name === 'host' || name === ':authority') && !/^[^\s/?#@]+$/.test(value)) return false;
    if (name === ':scheme' && value !== 'http' && value !== 'https') return false;
    if (name === ':status') {
      const n = Number(value);
      if (!/^\d+$/.test(value) || n < 200) return false;
    }
    return true;
  }
}

export interface HeaderLimits {
  readonly maxKb: number;
  readonly maxCount: number;
}

export type MutationResult = { readonly ok: true } | { readonly ok: false; readonly message: string };

export function applyHeaderMutation(
  mutation: PbHeaderMutationIn,
  headers: HeaderMap,
  checker: MutationChecker,
  limits: HeaderLimits,
  options: { readonly replacingMessage?: boolean; readonly removeContentLength?: boolean } = {},
): MutationResult {
  if (mutation.remove_headers.length > limits.maxCount || mutation.set_headers.length > limits.maxCount) {
    return { ok: false, message: `Header mutation remove header count ${mutation.remove_headers.length} or set header count ${mutation.set_headers.length} exceed the HCM header count limit ${limits.maxCount}` };
  }
  for (const raw of mutation.remove_headers) {
    if (!headerNameIsValid(raw)) return { ok: false, message: 'Invalid character in remove_headers mutation.' };
    const name = raw.toLowerCase();
    const result = checker.check('remove', name, '');
    if (result === 'ok') headers.remove(name);
    else if (result === 'fail') return { ok: false, message: `Invalid attempt to remove ${name}` };
  }
  for (const option of mutation.set_headers) {
    const header = option.header;
    if (header === null) continue;
    if (options.removeContentLength === true && header.key.toLowerCase() === 'content-length') continue;
    // Follows source/extensions/filters/http/ext_proc/mutation_utils.cc: only raw_value is read,
    // whatever `value` holds (both set is no error).
    const value = header.raw_value.toString('latin1');
    if (!headerNameIsValid(header.key) || !headerValueIsValid(value)) {
      return { ok: false, message: 'Invalid character in set_headers mutation.' };
    }
    const name = header.key.toLowerCase();
    const append = option.append?.value ?? false;
    const op: CheckOp = append && headers.has(name) ? 'append' : 'set';
    let result = checker.check(op, name, value);
    if (options.replacingMessage === true && name === ':method') result = 'ok';
    if (result === 'fail') return { ok: false, message: `Invalid attempt to modify ${name}` };
    if (result === 'ignore') continue;
    if (append) headers.add(name, value);
    else headers.set(name, value);
  }
  if (headers.byteSize() > limits.maxKb * 1024 || headers.size > limits.maxCount) {
    return { ok: false, message: `Header mutation causes end result header count ${headers.size} or header size ${headers.byteSize()} bytes, exceeding the count limit ${limits.maxCount} or the size limit ${limits.maxKb} kilobytes` };
  }
  return { ok: true };
}

/** Returns the new body, or the old one when the mutation changes nothing. */
export function applyBodyMutation(mutation: PbBodyMutationIn, body: Buffer): Buffer {
  if (mutation.mutation === 'clear_body') return mutation.clear_body === true ? Buffer.alloc(0) : body;
  if (mutation.mutation === 'body') return mutation.body ?? Buffer.alloc(0);
  return body;
}

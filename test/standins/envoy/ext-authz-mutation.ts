/**
 * Reading and applying an ext_authz CheckResponse the way Envoy's ext_authz filter does
 * (ext_authz_grpc_impl.cc + ext_authz.cc onComplete):
 * - header values come from the string `value`; `raw_value` is never read (a value sent only
 *   there arrives empty);
 * - `append` true appends to an existing header (appendCopy, only if present); false or unset
 *   overwrites (setCopy); `append_action` is ignored;
 * - every header is applied, pseudo headers included (`:path` may be rewritten), unless
 *   `decoder_header_mutation_rules` are configured and forbid it (ignored, or a 500 with
 *   disallow_is_error);
 * - headers_to_remove never removes pseudo headers or `host`;
 * - `validate_mutations`: an invalid header name or value fails the request with 500; an
 *   oversized result always does;
 * - a denial's headers replace the local reply's (remove, then add).
 * Parts of the API the router does not use (response_headers_to_add, query parameters) are
 * refused as unsupported rather than half-modelled.
 */
import type { ExtAuthzFilterConfig } from './config.js';
import type { PbDeniedHttpResponseIn, PbOkHttpResponseIn } from './ext-authz-protos.js';
import { MutationChecker, type HeaderLimits } from './ext-proc-mutation.js';
import { headerNameIsValid, headerValueIsValid, type HeaderMap } from './header-map.js';
import { httpStatusCodeNumber, type PbHeaderValueOptionIn } from './protos.js';

export interface Unsupported {
  readonly kind: 'unsupported';
  readonly what: string;
}

export interface OkMutations {
  readonly kind: 'ok';
  readonly set: readonly (readonly [string, string])[];
  readonly append: readonly (readonly [string, string])[];
  readonly remove: readonly string[];
}

export interface Denial {
  readonly kind: 'denied';
  readonly status: number;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
}

type HeaderOp = { readonly op: 'set' | 'append'; readonly name: string; readonly value: string } | Unsupported | undefined;

function unsupported(what: string): Unsupported {
  return { kind: 'unsupported', what };
}

function readOption(option: PbHeaderValueOptionIn): HeaderOp {
  const header = option.header;
  if (header === null) return undefined;
  // Follows source/extensions/filters/common/ext_authz/ext_authz_grpc_impl.cc: only the `append`
  // BoolValue is read (unset = false = overwrite); append_action is ignored.
  return { op: option.append?.value === true ? 'append' : 'set', name: header.key, value: header.value };
}

export function readOkResponse(ok: PbOkHttpResponseIn | undefined): OkMutations | Unsupported {
  if (ok === undefined) return { kind: 'ok', set: [], append: [], remove: [] };
  if (ok.response_headers_to_add.length > 0) return unsupported('ok_response.response_headers_to_add');
  if (ok.query_parameters_to_set.length > 0 || ok.query_parameters_to_remove.length > 0) return unsupported('ok_response query parameter mutations');
  const set: [string, string][] = [];
  const append: [string, string][] = [];
  for (const option of ok.headers) {
    const read = readOption(option);
    if (read === undefined) continue;
    if ('kind' in read) return read;
    (read.op === 'set' ? set : append).push([read.name, read.value]);
  }
  return { kind: 'ok', set, append, remove: ok.headers_to_remove };
}

export function readDenial(denied: PbDeniedHttpResponseIn | undefined): Denial | Unsupported {
  const code = denied?.status === null || denied?.status === undefined ? 0 : httpStatusCodeNumber(denied.status.code);
  const status = code > 0 ? code : 403;
  if (status < 200 || status > 599) return unsupported(`denied_response.status ${String(denied?.status?.code)}`);
  const headers: [string, string][] = [];
  for (const option of denied?.headers ?? []) {
    const read = readOption(option);
    if (read === undefined) continue;
    if ('kind' in read) return read;
    // Released Envoys drop appended headers from a denial; newer ones add them.
    if (read.op === 'append') return unsupported(`denied_response header ${JSON.stringify(read.name)} with append: true`);
    headers.push([read.name, read.value]);
  }
  return { kind: 'denied', status, headers, body: denied?.body ?? '' };
}

export type ApplyResult = { readonly kind: 'applied' } | { readonly kind: 'invalid'; readonly message: string } | Unsupported;

function validHeader(name: string, value: string): boolean {
  return headerNameIsValid(name) && headerValueIsValid(value);
}

/** Checks every header of a denial before the local reply is built from it. */
export function checkDenialHeaders(denial: Denial, config: ExtAuthzFilterConfig): ApplyResult {
  for (const [name, value] of denial.headers) {
    if (validHeader(name, value)) continue;
    if (config.validateMutations) return { kind: 'invalid', message: `invalid header ${JSON.stringify(name)} in denied_response` };
    return unsupported(`invalid header ${JSON.stringify(name)} in denied_response without validate_mutations`);
  }
  return { kind: 'applied' };
}

export class OkResponseApplier {
  private readonly checker: MutationChecker | undefined;

  constructor(private readonly config: ExtAuthzFilterConfig) {
    this.checker = config.mutationRules === undefined ? undefined : new MutationChecker(config.mutationRules);
  }

  apply(mutations: OkMutations, headers: HeaderMap, limits: HeaderLimits): ApplyResult {
    for (const [op, list] of [['set', mutations.set], ['append', mutations.append]] as const) {
      for (const [rawName, value] of list) {
        if (!validHeader(rawName, value)) {
          if (this.config.validateMutations) return { kind: 'invalid', message: `invalid header ${JSON.stringify(rawName)} to ${op}` };
          return unsupported(`invalid header ${JSON.stringify(rawName)} to ${op} without validate_mutations`);
        }
        const name = rawName.toLowerCase();
        const verdict = this.checker?.check(op, name, value) ?? 'ok';
        if (verdict === 'fail') return { kind: 'invalid', message: `mutation of ${name} refused by decoder_header_mutation_rules` };
        if (verdict === 'ignore') continue;
        if (op === 'set') headers.set(name, value);
        else headers.appendToFirst(name, value);
      }
    }
    for (const rawName of mutations.remove) {
      // An invalid name is like one that is not there.
      if (this.config.validateMutations && !headerNameIsValid(rawName)) continue;
      const name = rawName.toLowerCase();
      if (this.checker === undefined) {
        if (name.startsWith(':') || name === 'host') continue;
        headers.remove(name);
        continue;
      }
      const verdict = this.checker.check('remove', name, '');
      if (verdict === 'fail') return { kind: 'invalid', message: `removal of ${name} refused by decoder_header_mutation_rules` };
      if (verdict === 'ok') headers.remove(name);
    }
    if (headers.byteSize() > limits.maxKb * 1024 || headers.size > limits.maxCount) {
      return { kind: 'invalid', message: `request headers over the limits after the ext_authz mutations (${headers.size} headers, ${headers.byteSize()} bytes)` };
    }
    return { kind: 'applied' };
  }
}

/** Envoy clears the route cache when the response asks for any request header change. */
export function changesHeaders(mutations: OkMutations): boolean {
  return mutations.set.length > 0 || mutations.append.length > 0 || mutations.remove.length > 0;
}

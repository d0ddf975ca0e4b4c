/**
 * A strict checker of Envoy configuration written as proto3 JSON (or YAML, which Envoy turns
 * into JSON first) against Envoy's own .proto descriptors, loaded with protobufjs from the
 * files shipped in @grpc/grpc-js-xds (deps/).
 *
 * It walks the message descriptors the way Envoy's JSON parser and its protoc-gen-validate
 * (PGV) constraints do, and reports:
 * - unknown fields (Envoy rejects them in static config), the same field given twice
 *   (snake_case and lowerCamelCase), two members of one oneof;
 * - wrong JSON types for scalars, messages, repeated fields and maps; out-of-range integers;
 * - enum values that are not defined;
 * - well-known types in their JSON form: Duration ("1s"), Timestamp, Struct / Value /
 *   ListValue, wrappers, FieldMask, Empty, and Any, whose "@type" must name a message that
 *   exists in Envoy's protos (the package folder is loaded on demand), then the rest of the
 *   object is checked against that message; xds / udpa TypedStruct is unwrapped likewise;
 * - the PGV rules Envoy enforces on config: required messages and oneofs, string lengths,
 *   prefixes, patterns and header-name/value regexes, numeric and duration bounds, enum
 *   defined_only / in / not_in, repeated min/max items (and per-item rules), map pairs, Any
 *   type restrictions.
 * Deprecated fields are reported separately (Envoy accepts them with a warning).
 *
 * Besides issues it returns "landmarks": paths where a value of a given kind was accepted.
 * The tests use them to break a copy of a real file in a controlled way (an enum set to a
 * bad name, an Any given an unknown "@type", ...) and prove that the checker bites.
 *
 * What it cannot check: Envoy's C++-side semantic validation (e.g. a listener's address
 * conflicts, cluster type vs. address resolution, extension-specific checks done in filter
 * factories), PGV well-known string formats other than header names/values (hostname, ip,
 * email, uri), Timestamp bounds, and the runtime "fatal-by-default" status of deprecated fields.
 */
import { createRequire } from 'node:module';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { formatPath, isRecord, type PathSegment } from './issues.js';

const require = createRequire(import.meta.url);
const DEPS = fileURLToPath(new URL('../../../node_modules/@grpc/grpc-js-xds/deps/', import.meta.url));
export const PROTO_INCLUDE_DIRS = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => join(DEPS, d));

type PbType = protobuf.Type;
type PbEnum = protobuf.Enum;
type PbField = protobuf.Field;

/**
 * Fields Envoy 1.38 has that the protos bundled in @grpc/grpc-js-xds predate, added to their
 * messages on load so configs using them are still decoded strictly (the field's value is
 * checked against its type). Each was read in Envoy's source; the field number matters not to
 * JSON, so one far above the real ones is used.
 */
export const FIELDS_NEWER_THAN_BUNDLED_PROTOS: readonly { readonly message: string; readonly field: string; readonly type: string }[] = [
  // source/extensions/filters/http/ext_proc/ext_proc.cc (status_on_error, default 500).
  { message: 'envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor', field: 'status_on_error', type: 'envoy.type.v3.HttpStatus' },
];

let commonProtosAdded = false;

/** google/protobuf/{descriptor,api,type,source_context}.proto, which protobufjs does not expose itself. */
function addCommonProtos(): void {
  if (commonProtosAdded) return;
  for (const name of ['api', 'descriptor', 'source_context', 'type']) {
    const json = require(`protobufjs/google/protobuf/${name}.json`) as { nested: { google: { nested: { protobuf: { nested: Record<string, unknown> } } } } };
    protobuf.common(name, json.nested.google.nested.protobuf.nested);
  }
  commonProtosAdded = true;
}

/**
 * Envoy's protos, loaded lazily by package: looking up `envoy.extensions.filters.http.ext_proc.v3.X`
 * loads every .proto file in envoy/extensions/filters/http/ext_proc/v3/ (and their imports).
 */
export class EnvoyProtos {
  private readonly root: protobuf.Root;
  private readonly loadedDirs = new Set<string>();

  constructor(private readonly includeDirs: readonly string[] = PROTO_INCLUDE_DIRS) {
    addCommonProtos();
    this.root = new protobuf.Root();
    this.root.resolvePath = (_origin: string, target: string): string => {
      if (isAbsolute(target)) return target;
      for (const dir of includeDirs) {
        const full = join(dir, target);
        if (existsSync(full)) return full;
      }
      return target;
    };
  }

  /** The message type with this full name (no leading dot), or undefined if Envoy has none. */
  type(fullName: string): PbType | undefined {
    const found = this.lookup(fullName);
    return found instanceof protobuf.Type ? found : undefined;
  }

  private lookup(fullName: string): protobuf.ReflectionObject | undefined {
    const name = fullName.replace(/^\./, '');
    if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(name)) return undefined;
    const existing = this.tryLookup(name);
    if (existing !== undefined) return existing;
    // Try the package folders from the longest prefix (nested messages) down.
    const parts = name.split('.');
    for (let n = parts.length - 1; n >= 1; n--) {
      const rel = parts.slice(0, n).join('/');
      if (this.loadDir(rel)) {
        const after = this.tryLookup(name);
        if (after !== undefined) return after;
      }
    }
    return undefined;
  }

  private tryLookup(name: string): protobuf.ReflectionObject | undefined {
    try {
      return this.root.lookup(name) ?? undefined;
    } catch {
      return undefined;
    }
  }

  private loadDir(rel: string): boolean {
    if (this.loadedDirs.has(rel)) return false;
    this.loadedDirs.add(rel);
    const files: string[] = [];
    for (const dir of this.includeDirs) {
      const full = join(dir, rel);
      if (!existsSync(full) || !statSync(full).isDirectory()) continue;
      for (const entry of readdirSync(full)) if (entry.endsWith('.proto')) files.push(`${rel}/${entry}`);
    }
    if (files.length === 0) return false;
    this.root.loadSync(files, { keepCase: true });
    this.root.resolveAll();
    this.addNewerFields();
    return true;
  }

  private addNewerFields(): void {
    for (const extra of FIELDS_NEWER_THAN_BUNDLED_PROTOS) {
      const message = this.tryLookup(extra.message);
      if (!(message instanceof protobuf.Type) || message.fields[extra.field] !== undefined) continue;
      if (this.type(extra.type) === undefined) throw new Error(`proto-json: ${extra.type} (for ${extra.message}.${extra.field}) is not in Envoy's protos`);
      // Loading the field's type may have added it already (this runs again for each folder).
      if (message.fields[extra.field] !== undefined) continue;
      const field = new protobuf.Field(extra.field, 100_000 + message.fieldsArray.length, extra.type);
      message.add(field);
      field.resolve();
    }
  }
}

export type LandmarkKind = 'message' | 'enum' | 'integer' | 'bool' | 'string' | 'duration' | 'any';

export interface Landmark {
  readonly path: readonly PathSegment[];
  readonly kind: LandmarkKind;
  /** The message or enum type at this path (full name, no leading dot). */
  readonly type: string;
}

export interface ProtoIssue {
  readonly path: string;
  readonly message: string;
}

export interface ProtoCheckResult {
  readonly issues: ProtoIssue[];
  /** Deprecated fields used (Envoy accepts them with a warning). */
  readonly deprecated: string[];
  readonly landmarks: Landmark[];
  /** Every Any "@type" met, resolved or not. */
  readonly anyTypes: string[];
}

export interface ProtoCheckOptions {
  /**
   * A fragment merged into a message Envoy already has (an Istio EnvoyFilter MERGE patch):
   * types and names are checked, but nothing may be required because the rest comes from
   * the target.
   */
  readonly partial?: boolean;
}

interface Ctx {
  readonly protos: EnvoyProtos;
  readonly partial: boolean;
  readonly result: ProtoCheckResult;
}

/** Checks `value` (parsed JSON/YAML) as the message `typeName`. */
export function checkProtoJson(protos: EnvoyProtos, typeName: string, value: unknown, options: ProtoCheckOptions = {}): ProtoCheckResult {
  const result: ProtoCheckResult = { issues: [], deprecated: [], landmarks: [], anyTypes: [] };
  const ctx: Ctx = { protos, partial: options.partial ?? false, result };
  const type = protos.type(typeName);
  if (type === undefined) {
    result.issues.push({ path: '', message: `unknown message type ${typeName}` });
    return result;
  }
  checkMessage(ctx, type, value, []);
  return result;
}

function issue(ctx: Ctx, path: readonly PathSegment[], message: string): void {
  ctx.result.issues.push({ path: formatPath(path), message });
}

function fullName(t: protobuf.ReflectionObject): string {
  return t.fullName.replace(/^\./, '');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

const WRAPPERS: Record<string, string> = {
  'google.protobuf.DoubleValue': 'double',
  'google.protobuf.FloatValue': 'float',
  'google.protobuf.Int64Value': 'int64',
  'google.protobuf.UInt64Value': 'uint64',
  'google.protobuf.Int32Value': 'int32',
  'google.protobuf.UInt32Value': 'uint32',
  'google.protobuf.BoolValue': 'bool',
  'google.protobuf.StringValue': 'string',
  'google.protobuf.BytesValue': 'bytes',
};

/** Well-known types whose JSON form is not an object of their fields. */
function hasSpecialJson(name: string): boolean {
  return name in WRAPPERS || [
    'google.protobuf.Duration', 'google.protobuf.Timestamp', 'google.protobuf.Struct', 'google.protobuf.Value',
    'google.protobuf.ListValue', 'google.protobuf.FieldMask', 'google.protobuf.Any', 'google.protobuf.Empty',
  ].includes(name);
}

const TYPED_STRUCTS = new Set(['xds.type.v3.TypedStruct', 'udpa.type.v1.TypedStruct']);

interface FieldIndex {
  readonly byKey: Map<string, PbField>;
}

const indexCache = new WeakMap<PbType, FieldIndex>();

/** protoc's json_name: underscores dropped, the following letter upper-cased. */
export function jsonName(field: PbField): string {
  const explicit = (field.options as Record<string, unknown> | undefined)?.json_name;
  if (typeof explicit === 'string') return explicit;
  return field.name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function fieldIndex(type: PbType): FieldIndex {
  let index = indexCache.get(type);
  if (index === undefined) {
    const byKey = new Map<string, PbField>();
    for (const field of type.fieldsArray) {
      byKey.set(field.name, field);
      byKey.set(jsonName(field), field);
    }
    index = { byKey };
    indexCache.set(type, index);
  }
  return index;
}

function checkMessage(ctx: Ctx, type: PbType, value: unknown, path: readonly PathSegment[]): void {
  const name = fullName(type);
  if (hasSpecialJson(name)) {
    checkWellKnown(ctx, name, value, path);
    return;
  }
  if (!isRecord(value)) {
    issue(ctx, path, `expected an object (${name}), got ${describe(value)}`);
    return;
  }
  ctx.result.landmarks.push({ path, kind: 'message', type: name });
  checkFields(ctx, type, value, path, new Set());
  if (TYPED_STRUCTS.has(name)) checkTypedStruct(ctx, value, path);
}

function checkFields(ctx: Ctx, type: PbType, value: Record<string, unknown>, path: readonly PathSegment[], skipKeys: ReadonlySet<string>): void {
  const index = fieldIndex(type);
  const present = new Map<string, PbField>();
  for (const [key, child] of Object.entries(value)) {
    if (skipKeys.has(key)) continue;
    const field = index.byKey.get(key);
    if (field === undefined) {
      issue(ctx, [...path, key], `unknown field "${key}" in ${fullName(type)}${suggest(key, type)}`);
      continue;
    }
    if (present.has(field.name)) {
      issue(ctx, [...path, key], `field ${field.name} given twice (as ${field.name} and ${jsonName(field)})`);
      continue;
    }
    present.set(field.name, field);
    if ((field.options as Record<string, unknown> | undefined)?.deprecated === true) {
      ctx.result.deprecated.push(`${formatPath([...path, key])} (${fullName(type)}.${field.name})`);
    }
    checkField(ctx, field, child, [...path, key]);
  }

  // Oneofs: at most one member; (validate.required) needs one.
  for (const oneof of type.oneofsArray) {
    const members = oneof.fieldsArray.filter((f) => present.has(f.name));
    if (members.length > 1) {
      issue(ctx, path, `oneof ${oneof.name} of ${fullName(type)} has several members set: ${members.map((m) => m.name).join(', ')}`);
    }
    const required = (oneof.options as Record<string, unknown> | undefined)?.['(validate.required)'] === true;
    if (required && members.length === 0 && !ctx.partial) {
      issue(ctx, path, `${fullName(type)} needs one of ${oneof.fieldsArray.map((f) => f.name).join(', ')} (oneof ${oneof.name} is required)`);
    }
  }

  // PGV rules of the fields that are absent: proto3 defaults are validated too.
  if (ctx.partial) return;
  for (const field of type.fieldsArray) {
    if (present.has(field.name)) continue;
    const rules = fieldRules(field);
    if (rules === undefined) continue;
    checkAbsent(ctx, field, rules, [...path, field.name]);
  }
}

function suggest(key: string, type: PbType): string {
  const wanted = key.toLowerCase().replace(/_/g, '');
  const close = type.fieldsArray.find((f) => f.name.replace(/_/g, '') === wanted);
  return close === undefined ? '' : ` (did you mean ${close.name}?)`;
}

function checkTypedStruct(ctx: Ctx, value: Record<string, unknown>, path: readonly PathSegment[]): void {
  const typeUrl = value.type_url ?? value.typeUrl;
  if (typeof typeUrl !== 'string') return;
  const inner = resolveTypeUrl(ctx, typeUrl, [...path, 'type_url']);
  if (inner !== undefined) checkMessage(ctx, inner, value.value ?? {}, [...path, 'value']);
}

// ---------------------------------------------------------------------------------------------
// Fields
// ---------------------------------------------------------------------------------------------

function checkField(ctx: Ctx, field: PbField, value: unknown, path: readonly PathSegment[]): void {
  const rules = fieldRules(field);
  if (field.map) {
    if (!isRecord(value)) {
      issue(ctx, path, `expected an object (map<${(field as unknown as protobuf.MapField).keyType}, ${field.type}>), got ${describe(value)}`);
      return;
    }
    const entries = Object.entries(value);
    const mapRules = asRecord(rules?.map);
    for (const [key, child] of entries) {
      checkMapKey(ctx, (field as unknown as protobuf.MapField).keyType, key, [...path, key]);
      if (mapRules?.keys !== undefined) applyRules(ctx, asRecord(mapRules.keys), 'string', key, [...path, key]);
      checkValue(ctx, field, child, [...path, key], asRecord(mapRules?.values));
    }
    if (mapRules !== undefined) checkCount(ctx, path, entries.length, mapRules.min_pairs, mapRules.max_pairs, 'entries');
    return;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) {
      issue(ctx, path, `expected a list (repeated ${field.type}), got ${describe(value)}`);
      return;
    }
    const repeatedRules = asRecord(rules?.repeated);
    value.forEach((child, i) => checkValue(ctx, field, child, [...path, i], asRecord(repeatedRules?.items)));
    if (repeatedRules !== undefined) {
      checkCount(ctx, path, value.length, repeatedRules.min_items, repeatedRules.max_items, 'items');
      if (repeatedRules.unique === true) {
        const seen = new Set(value.map((v) => JSON.stringify(v)));
        if (seen.size !== value.length) issue(ctx, path, 'items must be unique');
      }
    }
    return;
  }
  checkValue(ctx, field, value, path, rules);
}

function checkValue(ctx: Ctx, field: PbField, value: unknown, path: readonly PathSegment[], rules: Record<string, unknown> | undefined): void {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) {
    checkEnum(ctx, resolved, value, path, rules);
    return;
  }
  if (resolved instanceof protobuf.Type) {
    const name = fullName(resolved);
    if (value === null && name !== 'google.protobuf.Value') {
      issue(ctx, path, `expected ${name}, got null`);
      return;
    }
    const before = ctx.result.issues.length;
    checkMessage(ctx, resolved, value, path);
    if (rules !== undefined && ctx.result.issues.length === before) applyMessageRules(ctx, name, value, path, rules);
    return;
  }
  const ok = checkScalar(ctx, field.type, value, path);
  if (ok && rules !== undefined) applyRules(ctx, asRecord(rules[field.type]), field.type, value, path);
}

function checkMapKey(ctx: Ctx, keyType: string, key: string, path: readonly PathSegment[]): void {
  if (keyType === 'string') return;
  if (keyType === 'bool') {
    if (key !== 'true' && key !== 'false') issue(ctx, path, `map key must be true or false, got ${JSON.stringify(key)}`);
    return;
  }
  checkScalar(ctx, keyType, key, path);
}

// ---------------------------------------------------------------------------------------------
// Scalars and enums
// ---------------------------------------------------------------------------------------------

const INT_RANGES: Record<string, readonly [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};

function checkScalar(ctx: Ctx, kind: string, value: unknown, path: readonly PathSegment[]): boolean {
  const range = INT_RANGES[kind];
  if (range !== undefined) {
    let n: bigint | undefined;
    if (typeof value === 'number' && Number.isInteger(value)) n = BigInt(value);
    else if (typeof value === 'string' && /^-?\d+$/.test(value)) n = BigInt(value);
    if (n === undefined) {
      issue(ctx, path, `expected an integer (${kind}), got ${describe(value)}`);
      return false;
    }
    if (n < range[0] || n > range[1]) {
      issue(ctx, path, `${n} is out of range for ${kind}`);
      return false;
    }
    ctx.result.landmarks.push({ path, kind: 'integer', type: kind });
    return true;
  }
  switch (kind) {
    case 'double':
    case 'float':
      if (typeof value === 'number' || (typeof value === 'string' && /^(-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|NaN|-?Infinity)$/.test(value))) return true;
      issue(ctx, path, `expected a number (${kind}), got ${describe(value)}`);
      return false;
    case 'bool':
      if (typeof value === 'boolean') {
        ctx.result.landmarks.push({ path, kind: 'bool', type: 'bool' });
        return true;
      }
      issue(ctx, path, `expected true or false, got ${describe(value)}`);
      return false;
    case 'string':
      if (typeof value === 'string') {
        ctx.result.landmarks.push({ path, kind: 'string', type: 'string' });
        return true;
      }
      issue(ctx, path, `expected a string, got ${describe(value)}`);
      return false;
    case 'bytes':
      if (typeof value === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) return true;
      issue(ctx, path, `expected base64 bytes, got ${describe(value)}`);
      return false;
    default:
      issue(ctx, path, `unsupported scalar type ${kind}`);
      return false;
  }
}

function checkEnum(ctx: Ctx, type: PbEnum, value: unknown, path: readonly PathSegment[], rules: Record<string, unknown> | undefined): void {
  const name = fullName(type);
  if (name === 'google.protobuf.NullValue') {
    if (value !== null) issue(ctx, path, `expected null, got ${describe(value)}`);
    return;
  }
  let number: number | undefined;
  if (typeof value === 'string' && Object.hasOwn(type.values, value)) number = type.values[value];
  else if (typeof value === 'number' && Number.isInteger(value) && Object.values(type.values).includes(value)) number = value;
  if (number === undefined) {
    issue(ctx, path, `${describe(value)} is not a value of enum ${name} (${Object.keys(type.values).join(', ')})`);
    return;
  }
  ctx.result.landmarks.push({ path, kind: 'enum', type: name });
  const enumRules = asRecord(rules?.enum);
  if (enumRules !== undefined) checkEnumRules(ctx, type, number, path, enumRules);
}

function checkEnumRules(ctx: Ctx, type: PbEnum, number: number, path: readonly PathSegment[], rules: Record<string, unknown>): void {
  const nameOf = (n: number): string => Object.entries(type.values).find(([, v]) => v === n)?.[0] ?? String(n);
  if (rules.const !== undefined && number !== Number(rules.const)) issue(ctx, path, `must be ${nameOf(Number(rules.const))}`);
  const inList = listOf(rules.in).map(Number);
  if (inList.length > 0 && !inList.includes(number)) issue(ctx, path, `must be one of ${inList.map(nameOf).join(', ')}`);
  const notIn = listOf(rules.not_in).map(Number);
  if (notIn.includes(number)) issue(ctx, path, `must not be ${nameOf(number)}`);
}

// ---------------------------------------------------------------------------------------------
// Well-known types
// ---------------------------------------------------------------------------------------------

const DURATION = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;
const MAX_DURATION_SECONDS = 315_576_000_000n;

/** Seconds of a proto JSON duration string, or undefined if it is not one. */
export function durationSeconds(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (m === null) return undefined;
  if (BigInt(m[2] ?? '0') > MAX_DURATION_SECONDS) return undefined;
  const seconds = Number(m[2]) + Number(`0.${m[3] ?? '0'}`);
  return m[1] === '-' ? -seconds : seconds;
}

function checkWellKnown(ctx: Ctx, name: string, value: unknown, path: readonly PathSegment[]): void {
  const wrapped = WRAPPERS[name];
  if (wrapped !== undefined) {
    checkScalar(ctx, wrapped, value, path);
    return;
  }
  switch (name) {
    case 'google.protobuf.Duration':
      if (typeof value !== 'string' || durationSeconds(value) === undefined) {
        issue(ctx, path, `expected a duration such as "1s" or "0.250s", got ${describe(value)}`);
        return;
      }
      ctx.result.landmarks.push({ path, kind: 'duration', type: name });
      return;
    case 'google.protobuf.Timestamp':
      if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
        issue(ctx, path, `expected an RFC 3339 timestamp, got ${describe(value)}`);
      }
      return;
    case 'google.protobuf.Struct':
      if (!isRecord(value)) issue(ctx, path, `expected an object (Struct), got ${describe(value)}`);
      else checkJsonValue(ctx, value, path);
      return;
    case 'google.protobuf.Value':
      checkJsonValue(ctx, value, path);
      return;
    case 'google.protobuf.ListValue':
      if (!Array.isArray(value)) issue(ctx, path, `expected a list (ListValue), got ${describe(value)}`);
      else checkJsonValue(ctx, value, path);
      return;
    case 'google.protobuf.FieldMask':
      if (typeof value !== 'string') issue(ctx, path, `expected a comma-separated field mask, got ${describe(value)}`);
      return;
    case 'google.protobuf.Empty':
      if (!isRecord(value) || Object.keys(value).length > 0) issue(ctx, path, `expected {} (Empty), got ${describe(value)}`);
      return;
    case 'google.protobuf.Any':
      checkAny(ctx, value, path);
      return;
    default:
      issue(ctx, path, `unhandled well-known type ${name}`);
  }
}

function checkJsonValue(ctx: Ctx, value: unknown, path: readonly PathSegment[]): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) issue(ctx, path, 'a JSON number must be finite');
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkJsonValue(ctx, v, [...path, i]));
    return;
  }
  if (isRecord(value) && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value)) checkJsonValue(ctx, v, [...path, k]);
    return;
  }
  issue(ctx, path, `not a JSON value: ${describe(value)}`);
}

function resolveTypeUrl(ctx: Ctx, typeUrl: string, path: readonly PathSegment[]): PbType | undefined {
  ctx.result.anyTypes.push(typeUrl);
  const slash = typeUrl.lastIndexOf('/');
  if (slash < 0 || slash === typeUrl.length - 1) {
    issue(ctx, path, `type URL ${JSON.stringify(typeUrl)} must look like type.googleapis.com/<message>`);
    return undefined;
  }
  const name = typeUrl.slice(slash + 1);
  const type = ctx.protos.type(name);
  if (type === undefined) issue(ctx, path, `"@type" ${JSON.stringify(typeUrl)} names no message in Envoy's protos`);
  return type;
}

function checkAny(ctx: Ctx, value: unknown, path: readonly PathSegment[]): void {
  if (!isRecord(value)) {
    issue(ctx, path, `expected an object with "@type" (Any), got ${describe(value)}`);
    return;
  }
  // {} is an empty Any (e.g. route FilterConfig.config: {} enables a disabled filter).
  if (Object.keys(value).length === 0) return;
  const typeUrl = value['@type'];
  if (typeof typeUrl !== 'string') {
    issue(ctx, path, 'an Any needs "@type"');
    return;
  }
  ctx.result.landmarks.push({ path, kind: 'any', type: typeUrl });
  const type = resolveTypeUrl(ctx, typeUrl, [...path, '@type']);
  if (type === undefined) return;
  const name = fullName(type);
  if (hasSpecialJson(name)) {
    for (const key of Object.keys(value)) {
      if (key !== '@type' && key !== 'value') issue(ctx, [...path, key], `unknown field "${key}" in an Any of ${name} (its JSON is under "value")`);
    }
    checkWellKnown(ctx, name, value.value, [...path, 'value']);
    return;
  }
  ctx.result.landmarks.push({ path, kind: 'message', type: name });
  checkFields(ctx, type, value, path, new Set(['@type']));
  if (TYPED_STRUCTS.has(name)) checkTypedStruct(ctx, value, path);
}

// ---------------------------------------------------------------------------------------------
// protoc-gen-validate rules
// ---------------------------------------------------------------------------------------------

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return isRecord(value) ? value : undefined;
}

function listOf(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isRecord(prev) && isRecord(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

const rulesCache = new WeakMap<PbField, Record<string, unknown> | null>();

/** The field's `(validate.rules)`, merged from protobufjs' parsed options. */
function fieldRules(field: PbField): Record<string, unknown> | undefined {
  const cached = rulesCache.get(field);
  if (cached !== undefined) return cached ?? undefined;
  let rules: Record<string, unknown> | undefined;
  const parsed = (field as unknown as { parsedOptions?: unknown }).parsedOptions;
  for (const entry of listOf(parsed)) {
    const r = asRecord(asRecord(entry)?.['(validate.rules)']);
    if (r !== undefined) rules = rules === undefined ? r : deepMerge(rules, r);
  }
  rulesCache.set(field, rules ?? null);
  return rules;
}

/** PGV on a field that is not given: it is validated with its proto3 default value. */
function checkAbsent(ctx: Ctx, field: PbField, rules: Record<string, unknown>, path: readonly PathSegment[]): void {
  if (field.partOf !== null) return; // oneof members and proto3 `optional` are validated only when set
  const message = asRecord(rules.message);
  if (message?.required === true) {
    issue(ctx, path, `${field.name} is required`);
    return;
  }
  for (const kind of ['duration', 'any', 'timestamp']) {
    if (asRecord(rules[kind])?.required === true) {
      issue(ctx, path, `${field.name} is required`);
      return;
    }
  }
  if (field.map) {
    const mapRules = asRecord(rules.map);
    if (mapRules !== undefined && mapRules.ignore_empty !== true) checkCount(ctx, path, 0, mapRules.min_pairs, undefined, 'entries');
    return;
  }
  if (field.repeated) {
    const repeatedRules = asRecord(rules.repeated);
    if (repeatedRules !== undefined && repeatedRules.ignore_empty !== true) checkCount(ctx, path, 0, repeatedRules.min_items, undefined, 'items');
    return;
  }
  if (field.resolvedType instanceof protobuf.Type) return; // absent messages: only `required` matters
  if (field.resolvedType instanceof protobuf.Enum) {
    const enumRules = asRecord(rules.enum);
    if (enumRules !== undefined) checkEnumRules(ctx, field.resolvedType, 0, path, enumRules);
    return;
  }
  const scalarRules = asRecord(rules[field.type]);
  if (scalarRules === undefined || scalarRules.ignore_empty === true) return;
  const defaults: Record<string, unknown> = { string: '', bytes: '', bool: false };
  applyRules(ctx, scalarRules, field.type, defaults[field.type] ?? 0, path, `${field.name} (not set) `);
}

function checkCount(ctx: Ctx, path: readonly PathSegment[], count: number, min: unknown, max: unknown, what: string): void {
  if (min !== undefined && count < Number(min)) issue(ctx, path, `needs at least ${String(min)} ${what}, has ${count}`);
  if (max !== undefined && count > Number(max)) issue(ctx, path, `allows at most ${String(max)} ${what}, has ${count}`);
}

/** Rules of a message-typed field: message.required is handled by absence; wrappers, Duration, Any. */
function applyMessageRules(ctx: Ctx, typeName: string, value: unknown, path: readonly PathSegment[], rules: Record<string, unknown>): void {
  const wrapped = WRAPPERS[typeName];
  if (wrapped !== undefined) {
    applyRules(ctx, asRecord(rules[wrapped]), wrapped, value, path);
    return;
  }
  if (typeName === 'google.protobuf.Duration' && typeof value === 'string') {
    const seconds = durationSeconds(value);
    const durationRules = asRecord(rules.duration);
    if (seconds !== undefined && durationRules !== undefined) checkBounds(ctx, path, seconds, durationRules, durationRuleSeconds, (n) => `${n}s`);
    return;
  }
  if (typeName === 'google.protobuf.Any' && isRecord(value)) {
    const anyRules = asRecord(rules.any);
    const typeUrl = value['@type'];
    if (anyRules !== undefined && typeof typeUrl === 'string') {
      const allowed = listOf(anyRules.in).map(String);
      if (allowed.length > 0 && !allowed.includes(typeUrl)) issue(ctx, path, `"@type" must be one of ${allowed.join(', ')}`);
      if (listOf(anyRules.not_in).map(String).includes(typeUrl)) issue(ctx, path, `"@type" ${typeUrl} is not allowed here`);
    }
  }
}

function durationRuleSeconds(rule: unknown): number {
  const r = asRecord(rule) ?? {};
  return Number(r.seconds ?? 0) + Number(r.nanos ?? 0) / 1e9;
}

/** const / lt / lte / gt / gte / in / not_in on a number (PGV semantics, exclusive ranges included). */
function checkBounds(
  ctx: Ctx,
  path: readonly PathSegment[],
  n: number,
  rules: Record<string, unknown>,
  toNumber: (rule: unknown) => number,
  show: (n: number) => string,
  prefix = '',
): void {
  const has = (k: string): boolean => rules[k] !== undefined;
  if (has('const') && n !== toNumber(rules.const)) issue(ctx, path, `${prefix}must equal ${show(toNumber(rules.const))}`);
  const lower = has('gt') ? { v: toNumber(rules.gt), strict: true } : has('gte') ? { v: toNumber(rules.gte), strict: false } : undefined;
  const upper = has('lt') ? { v: toNumber(rules.lt), strict: true } : has('lte') ? { v: toNumber(rules.lte), strict: false } : undefined;
  const aboveLower = lower === undefined || (lower.strict ? n > lower.v : n >= lower.v);
  const belowUpper = upper === undefined || (upper.strict ? n < upper.v : n <= upper.v);
  const describeBound = (b: { v: number; strict: boolean }, dir: string): string => `${dir}${b.strict ? '' : ' or equal to'} ${show(b.v)}`;
  if (lower !== undefined && upper !== undefined && upper.v < lower.v) {
    // Exclusive range: the value must lie outside [upper, lower].
    if (!aboveLower && !belowUpper) issue(ctx, path, `${prefix}must be ${describeBound(upper, 'below')} or ${describeBound(lower, 'above')}, got ${show(n)}`);
  } else {
    if (!aboveLower && lower !== undefined) issue(ctx, path, `${prefix}must be ${describeBound(lower, 'greater than')}, got ${show(n)}`);
    if (!belowUpper && upper !== undefined) issue(ctx, path, `${prefix}must be ${describeBound(upper, 'less than')}, got ${show(n)}`);
  }
  const inList = listOf(rules.in).map(toNumber);
  if (inList.length > 0 && !inList.includes(n)) issue(ctx, path, `${prefix}must be one of ${inList.map(show).join(', ')}`);
  if (listOf(rules.not_in).map(toNumber).includes(n)) issue(ctx, path, `${prefix}must not be ${show(n)}`);
}

const HEADER_NAME_STRICT = /^:?[0-9a-zA-Z!#$%&'*+\-.^_|~`]+$/;
const HEADER_VALUE_STRICT = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;
const HEADER_LAX = /^[^\u0000\u000A\u000D]*$/;

/** Rules for one scalar kind (`rules` is e.g. the `string` or `uint32` object of FieldRules). */
function applyRules(ctx: Ctx, rules: Record<string, unknown> | undefined, kind: string, value: unknown, path: readonly PathSegment[], prefix = ''): void {
  if (rules === undefined) return;
  if (kind in INT_RANGES || kind === 'double' || kind === 'float') {
    const n = Number(value);
    if (rules.ignore_empty === true && n === 0) return;
    checkBounds(ctx, path, n, rules, Number, String, prefix);
    return;
  }
  if (kind === 'bool') {
    if (rules.const !== undefined && value !== rules.const) issue(ctx, path, `${prefix}must be ${String(rules.const)}`);
    return;
  }
  if (kind !== 'string' && kind !== 'bytes') return;
  if (typeof value !== 'string') return;
  const text = kind === 'bytes' ? Buffer.from(value, 'base64').toString('latin1') : value;
  if (rules.ignore_empty === true && text === '') return;
  const runes = [...text].length;
  const bytes = kind === 'bytes' ? text.length : Buffer.byteLength(text, 'utf8');
  const fail = (message: string): void => issue(ctx, path, `${prefix}${message}`);
  if (rules.const !== undefined && text !== rules.const) fail(`must equal ${JSON.stringify(rules.const)}`);
  if (rules.len !== undefined && runes !== Number(rules.len)) fail(`must be ${String(rules.len)} characters long`);
  if (rules.min_len !== undefined && (kind === 'bytes' ? bytes : runes) < Number(rules.min_len)) fail(`must be at least ${String(rules.min_len)} characters long`);
  if (rules.max_len !== undefined && (kind === 'bytes' ? bytes : runes) > Number(rules.max_len)) fail(`must be at most ${String(rules.max_len)} characters long`);
  if (rules.min_bytes !== undefined && bytes < Number(rules.min_bytes)) fail(`must be at least ${String(rules.min_bytes)} bytes long`);
  if (rules.max_bytes !== undefined && bytes > Number(rules.max_bytes)) fail(`must be at most ${String(rules.max_bytes)} bytes long`);
  if (typeof rules.prefix === 'string' && !text.startsWith(rules.prefix)) fail(`must start with ${JSON.stringify(rules.prefix)}`);
  if (typeof rules.suffix === 'string' && !text.endsWith(rules.suffix)) fail(`must end with ${JSON.stringify(rules.suffix)}`);
  if (typeof rules.contains === 'string' && !text.includes(rules.contains)) fail(`must contain ${JSON.stringify(rules.contains)}`);
  if (typeof rules.not_contains === 'string' && text.includes(rules.not_contains)) fail(`must not contain ${JSON.stringify(rules.not_contains)}`);
  const inList = listOf(rules.in).map(String);
  if (inList.length > 0 && !inList.includes(text)) fail(`must be one of ${inList.join(', ')}`);
  if (listOf(rules.not_in).map(String).includes(text)) fail(`must not be ${JSON.stringify(text)}`);
  if (typeof rules.pattern === 'string') {
    let re: RegExp | undefined;
    try {
      re = new RegExp(rules.pattern, 'u');
    } catch {
      re = undefined; // an RE2 construct JavaScript lacks: not checked
    }
    if (re !== undefined && !re.test(text)) fail(`must match /${rules.pattern}/`);
  }
  const strict = rules.strict !== false;
  if (rules.well_known_regex === 'HTTP_HEADER_NAME' || rules.well_known_regex === 1) {
    if (!(strict ? HEADER_NAME_STRICT : HEADER_LAX).test(text) || text === '') fail('must be a valid HTTP header name');
  }
  if (rules.well_known_regex === 'HTTP_HEADER_VALUE' || rules.well_known_regex === 2) {
    if (!(strict ? HEADER_VALUE_STRICT : HEADER_LAX).test(text)) fail('must be a valid HTTP header value');
  }
}

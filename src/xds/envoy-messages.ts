/**
 * Encodes Envoy messages (clusters, listeners) into `google.protobuf.Any`, from objects written
 * with the field names of Envoy's YAML (snake_case, an Any as `{"@type": ..., ...fields}`).
 *
 * The descriptors come from `npm run gen` (scripts/gen-xds-descriptors.mjs reads the official
 * protos in @grpc/grpc-js-xds); protobuf.js encodes by reflection. Unlike protobuf.js's own
 * fromObject, every field name, enum name and "@type" is checked first, so a typo in a
 * resource builder fails loudly instead of vanishing from what Envoy receives.
 */
import protobuf from 'protobufjs';
import { ENVOY_XDS_DESCRIPTORS_JSON } from '../gen/envoy_xds_descriptors.js';
import type { Any } from '../gen/google/protobuf/any.js';

export const TYPE_URL_PREFIX = 'type.googleapis.com/';

/** A message as Envoy's YAML writes it: snake_case fields; an Any carries its "@type". */
export type EnvoyObject = { readonly [field: string]: unknown };

export class EnvoyEncodeError extends Error {
  override readonly name = 'EnvoyEncodeError';

  constructor(
    readonly typeName: string,
    readonly path: string,
    problem: string,
  ) {
    super(`cannot encode ${typeName}: ${path === '' ? '' : `${path}: `}${problem}`);
  }
}

let root: protobuf.Root | undefined;

/** Loaded on first use (about 0.1 s), then kept. */
function envoyRoot(): protobuf.Root {
  if (root === undefined) {
    root = protobuf.Root.fromJSON(JSON.parse(ENVOY_XDS_DESCRIPTORS_JSON) as protobuf.INamespace);
    root.resolveAll();
  }
  return root;
}

function lookupType(typeName: string, topName: string, path: string): protobuf.Type {
  try {
    return envoyRoot().lookupType(typeName);
  } catch {
    throw new EnvoyEncodeError(topName, path, `no message type ${typeName} in Envoy's protos`);
  }
}

/** `typeName` is the full message name, e.g. envoy.config.cluster.v3.Cluster. */
export function packAny(typeName: string, object: EnvoyObject): Any {
  const type = lookupType(typeName, typeName, '');
  checkMessage(type, object, typeName, '');
  const message = type.fromObject(object as Record<string, unknown>);
  return { typeUrl: TYPE_URL_PREFIX + typeName, value: Buffer.from(type.encode(message).finish()) };
}

/** Decodes an Any this module (or Envoy) wrote back into Envoy's YAML shape (for logs and tests). */
export function unpackAny(any: Any): EnvoyObject {
  if (!any.typeUrl.startsWith(TYPE_URL_PREFIX)) throw new EnvoyEncodeError(any.typeUrl, '', 'not a type.googleapis.com type URL');
  const typeName = any.typeUrl.slice(TYPE_URL_PREFIX.length);
  const type = lookupType(typeName, typeName, '');
  return type.toObject(type.decode(any.value), { enums: String, longs: Number, json: true }) as EnvoyObject;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function checkMessage(type: protobuf.Type, object: unknown, topName: string, path: string): void {
  if (!isRecord(object)) throw new EnvoyEncodeError(topName, path, `expected an object for ${type.fullName.slice(1)}`);
  const isAny = type.fullName === '.google.protobuf.Any';
  if (isAny) {
    const url = object['@type'];
    if (typeof url !== 'string' || !url.startsWith(TYPE_URL_PREFIX)) throw new EnvoyEncodeError(topName, path, 'an Any needs "@type": "type.googleapis.com/<message>"');
    const { '@type': _url, ...fields } = object;
    checkMessage(lookupType(url.slice(TYPE_URL_PREFIX.length), topName, path), fields, topName, path);
    return;
  }
  for (const [key, value] of Object.entries(object)) {
    const where = path === '' ? key : `${path}.${key}`;
    const field = type.fields[key];
    if (field === undefined) throw new EnvoyEncodeError(topName, where, `unknown field of ${type.fullName.slice(1)}`);
    if (value === undefined || value === null) continue;
    field.resolve();
    if (field instanceof protobuf.MapField) {
      if (!isRecord(value)) throw new EnvoyEncodeError(topName, where, 'expected a map');
      for (const [k, v] of Object.entries(value)) checkValue(field, v, topName, `${where}.${k}`);
    } else if (field.repeated) {
      if (!Array.isArray(value)) throw new EnvoyEncodeError(topName, where, 'expected a list');
      value.forEach((v, i) => checkValue(field, v, topName, `${where}[${i}]`));
    } else {
      checkValue(field, value, topName, where);
    }
  }
}

function checkValue(field: protobuf.Field, value: unknown, topName: string, where: string): void {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) {
    checkMessage(resolved, value, topName, where);
  } else if (resolved instanceof protobuf.Enum) {
    const known = typeof value === 'string' ? value in resolved.values : typeof value === 'number' && Object.values(resolved.values).includes(value);
    if (!known) throw new EnvoyEncodeError(topName, where, `${JSON.stringify(value)} is not a value of ${resolved.fullName.slice(1)}`);
  } else if (field.type === 'string') {
    if (typeof value !== 'string') throw new EnvoyEncodeError(topName, where, 'expected a string');
  } else if (field.type === 'bool') {
    if (typeof value !== 'boolean') throw new EnvoyEncodeError(topName, where, 'expected true or false');
  } else if (field.type !== 'bytes') {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new EnvoyEncodeError(topName, where, `expected a number (${field.type})`);
  }
}

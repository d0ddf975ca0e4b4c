/**
 * Header conversion between Envoy's HeaderMap and the router's header list, following the
 * contract: Envoy sends values in `raw_value` and reads only `raw_value` from mutations, and
 * a mutation overwrites unless the deprecated `append` is true.
 */
import type { HeaderMap, HeaderValueOption } from '../gen/envoy/config/core/v3/base.js';
import { HeaderValueOption_HeaderAppendAction } from '../gen/envoy/config/core/v3/base.js';

import type { HeaderList } from '../trino/header-list.js';

export type { HeaderList };

const EMPTY = Buffer.alloc(0);

/**
 * Reads Envoy's header map. Values are decoded as UTF-8 (invalid bytes become U+FFFD, so
 * hostile bytes cannot throw); a value only in `value` (older Envoys) is taken as is.
 */
export function readHeaderMap(map: HeaderMap | undefined): HeaderList {
  const list: [string, string][] = [];
  if (map === undefined) return list;
  for (const h of map.headers) {
    // toString() without arguments is UTF-8 and takes Buffer's fast path (no encoding lookup).
    const value = h.rawValue.length > 0 ? h.rawValue.toString() : h.value;
    list.push([h.key.toLowerCase(), value]);
  }
  return list;
}

/** First value of a header, or undefined. */
export function headerValue(headers: HeaderList, name: string): string | undefined {
  for (const [n, v] of headers) if (n === name) return v;
  return undefined;
}

/** A header to set, overwriting any value Envoy has (`append: false`, value in raw_value only). */
export function overwriteHeader(name: string, value: string): HeaderValueOption {
  return {
    header: { key: name, value: '', rawValue: Buffer.from(value, 'utf8') },
    append: false,
    appendAction: HeaderValueOption_HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD,
    keepEmptyValue: false,
  };
}

/** For ext_authz, where Envoy reads the string `value` instead. */
export function overwriteHeaderAsString(name: string, value: string): HeaderValueOption {
  return {
    header: { key: name, value, rawValue: EMPTY },
    append: false,
    appendAction: HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD,
    keepEmptyValue: false,
  };
}

/** A header to add beside any Envoy has (`append: true`), e.g. a second Set-Cookie on a response. */
export function appendHeader(name: string, value: string): HeaderValueOption {
  return {
    header: { key: name, value: '', rawValue: Buffer.from(value, 'utf8') },
    append: true,
    appendAction: HeaderValueOption_HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD,
    keepEmptyValue: false,
  };
}

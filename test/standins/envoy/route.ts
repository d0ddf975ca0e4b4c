/**
 * Route selection as Envoy's RouteConfiguration does it: virtual host by :authority, then the
 * first route whose path and header matchers all match. For `cluster_header` routes the cluster
 * name is taken from the header's FIRST value at the moment the route is resolved; the result is
 * cached by the stream (see FilterManager.route()) until a filter clears the route cache.
 */
import type { HeaderMatcher, RouteConfig, RouteEntry, StringMatcher, VirtualHost } from './config.js';
import type { HeaderMap } from './header-map.js';

export type RouteResolution =
  | { readonly kind: 'no_route' }
  | { readonly kind: 'route'; readonly entry: RouteEntry; readonly clusterName: string | undefined };

function selectVirtualHost(config: RouteConfig, authority: string): VirtualHost | undefined {
  const host = authority.toLowerCase();
  let best: { vh: VirtualHost; rank: number; len: number } | undefined;
  for (const vh of config.virtualHosts) {
    for (const domain of vh.domains) {
      let rank: number;
      if (domain === host) rank = 3;
      else if (domain === '*') rank = 0;
      else if (domain.startsWith('*') && host.endsWith(domain.slice(1)) && host.length > domain.length - 1) rank = 2;
      else if (domain.endsWith('*') && host.startsWith(domain.slice(0, -1)) && host.length > domain.length - 1) rank = 1;
      else continue;
      // Exact beats suffix wildcard beats prefix wildcard beats "*"; longer wildcards win.
      if (best === undefined || rank > best.rank || (rank === best.rank && domain.length > best.len)) {
        best = { vh, rank, len: domain.length };
      }
    }
  }
  return best?.vh;
}

function matchString(m: StringMatcher, value: string): boolean {
  const v = m.ignoreCase ? value.toLowerCase() : value;
  const want = m.ignoreCase ? m.value.toLowerCase() : m.value;
  switch (m.kind) {
    case 'exact':
      return v === want;
    case 'prefix':
      return v.startsWith(want);
    case 'suffix':
      return v.endsWith(want);
    case 'contains':
      return v.includes(want);
    case 'regex':
      return m.regex?.test(value) ?? false;
  }
}

function matchHeader(m: HeaderMatcher, headers: HeaderMap): boolean {
  const values = headers.get(m.name);
  let result: boolean;
  if (m.test.kind === 'present') {
    result = (values.length > 0) === m.test.present;
  } else if (values.length === 0 && !m.treatMissingAsEmpty) {
    // A missing header never matches a value matcher, inverted or not.
    return false;
  } else {
    // Envoy joins repeated headers with "," before matching.
    result = matchString(m.test.matcher, values.join(','));
  }
  return m.invert ? !result : result;
}

function stripQuery(path: string): string {
  const q = path.search(/[?#]/);
  return q === -1 ? path : path.slice(0, q);
}

function matchRoute(route: RouteEntry, headers: HeaderMap, path: string): boolean {
  const m = route.match;
  const cs = m.caseSensitive;
  switch (m.path.kind) {
    case 'prefix': {
      const ok = cs ? path.startsWith(m.path.value) : path.toLowerCase().startsWith(m.path.value.toLowerCase());
      if (!ok) return false;
      break;
    }
    case 'path': {
      const bare = stripQuery(path);
      const ok = cs ? bare === m.path.value : bare.toLowerCase() === m.path.value.toLowerCase();
      if (!ok) return false;
      break;
    }
    case 'safe_regex':
      if (!m.path.regex.test(stripQuery(path))) return false;
      break;
  }
  return m.headers.every((h) => matchHeader(h, headers));
}

export function resolveRoute(config: RouteConfig, headers: HeaderMap): RouteResolution {
  const vh = selectVirtualHost(config, headers.getFirst(':authority') ?? '');
  if (vh === undefined) return { kind: 'no_route' };
  const path = headers.getFirst(':path') ?? '';
  for (const entry of vh.routes) {
    if (!matchRoute(entry, headers, path)) continue;
    const cluster = entry.action.cluster;
    const clusterName = cluster.kind === 'name' ? cluster.name : headers.getFirst(cluster.header);
    return { kind: 'route', entry, clusterName };
  }
  return { kind: 'no_route' };
}

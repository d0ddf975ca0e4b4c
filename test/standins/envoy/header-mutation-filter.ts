/**
 * envoy.filters.http.header_mutation: global request/response mutations applied in order.
 * Like Envoy's filter, it looks the route up (for per-route configs) right AFTER applying its
 * global request mutations, which is what first populates the route cache.
 */
import type { ConfigHeaderMutation, HeaderMutationFilterConfig } from './config.js';
import type { FilterCallbacks, FilterStatus, HttpFilter, HttpFilterFactory, ResponseState } from './filter-chain.js';
import type { HeaderMap } from './header-map.js';

export function applyConfigMutations(mutations: readonly ConfigHeaderMutation[], headers: HeaderMap): void {
  for (const m of mutations) {
    if (m.kind === 'remove') {
      headers.remove(m.name);
      continue;
    }
    if (m.value === '' && !m.keepEmptyValue) continue;
    switch (m.action) {
      case 'APPEND_IF_EXISTS_OR_ADD':
        headers.add(m.name, m.value);
        break;
      case 'ADD_IF_ABSENT':
        if (!headers.has(m.name)) headers.add(m.name, m.value);
        break;
      case 'OVERWRITE_IF_EXISTS_OR_ADD':
        headers.set(m.name, m.value);
        break;
      case 'OVERWRITE_IF_EXISTS':
        if (headers.has(m.name)) headers.set(m.name, m.value);
        break;
    }
  }
}

class HeaderMutationFilter implements HttpFilter {
  constructor(private readonly config: HeaderMutationFilterConfig) {}

  decodeHeaders(cb: FilterCallbacks): Promise<FilterStatus> {
    applyConfigMutations(this.config.requestMutations, cb.requestHeaders);
    // Per-route lookup (getAllPerFilterConfig): resolves and caches the route.
    cb.route();
    return Promise.resolve('continue');
  }

  encodeHeaders(_cb: FilterCallbacks, response: ResponseState): Promise<FilterStatus> {
    applyConfigMutations(this.config.responseMutations, response.headers);
    return Promise.resolve('continue');
  }

  onDestroy(): void {}
}

export function headerMutationFilterFactory(config: HeaderMutationFilterConfig): HttpFilterFactory {
  return { name: config.name, create: () => new HeaderMutationFilter(config) };
}

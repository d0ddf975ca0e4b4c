/**
 * envoy.filters.http.header_mutation: global request/response mutations applied in order.
 * Follows source/extensions/filters/http/header_mutation/header_mutation.cc: it edits the
 * headers and never clears the route cache, so removing the routing header here does NOT
 * change the cluster the HCM already picked (use the HCM's early_header_mutation_extensions).
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

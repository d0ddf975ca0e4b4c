/**
 * envoy.filters.http.ext_authz (gRPC service), modelled on Envoy's ext_authz.cc:
 * - decodeHeaders looks the route up first; without a route the check is skipped;
 * - one Check call per request (see ext-authz-check-request.ts for what it carries), with
 *   grpc_service.timeout as its deadline (200 ms by default); the request waits for the answer;
 * - status OK: the ok_response's header mutations are applied (ext-authz-mutation.ts) and, with
 *   clear_route_cache, the route cache is cleared whenever the response changes request
 *   headers, so a `cluster_header` route sees the header the server set;
 * - any other status: denied, a local reply with denied_response's status (403 when unset),
 *   headers and body;
 * - a failed call (unreachable, deadline, gRPC error): status_on_error (403 by default) with an
 *   empty body, or, with failure_mode_allow, the request continues unchecked (marked with
 *   x-envoy-auth-failure-mode-allowed when failure_mode_allow_header_add);
 * - a response Envoy would reject (validate_mutations, mutation rules, header limits): 500;
 * - with_request_body: the body (up to max_request_bytes) goes into the check, as bytes with
 *   pack_as_bytes, with x-envoy-auth-partial-body saying whether it was cut;
 * - the call is cancelled when the downstream request goes away.
 * Responses never reach the server: ext_authz has no response phase.
 */
import type { ClusterResources } from './circuit-breakers.js';
import type { Endpoint, ExtAuthzFilterConfig } from './config.js';
import { buildCheckRequest, type BufferedBody } from './ext-authz-check-request.js';
import { prepend, readAll, readUpTo } from './ext-proc-filter.js';
import type { ExtAuthzChannels } from './ext-authz-client.js';
import type { PbDeniedHttpResponseIn, PbOkHttpResponseIn } from './ext-authz-protos.js';
import { changesHeaders, checkDenialHeaders, OkResponseApplier, readDenial, readOkResponse, type Denial } from './ext-authz-mutation.js';
import type { FilterCallbacks, FilterStatus, HttpFilter, HttpFilterFactory } from './filter-chain.js';
import type { HeaderMap } from './header-map.js';

export interface ExtAuthzEnv {
  readonly channels: ExtAuthzChannels;
  readonly endpoints: () => readonly Endpoint[];
  /** The circuit breakers of the ext_authz cluster (undefined: the cluster is unknown). */
  readonly resources: () => ClusterResources | undefined;
  readonly onCheck: () => void;
  readonly onError: () => void;
}

const FAILURE_MODE_ALLOWED_HEADER = 'x-envoy-auth-failure-mode-allowed';

class ExtAuthzFilter implements HttpFilter {
  private readonly applier: OkResponseApplier;

  constructor(
    private readonly config: ExtAuthzFilterConfig,
    private readonly env: ExtAuthzEnv,
  ) {
    this.applier = new OkResponseApplier(config);
  }

  async decodeHeaders(cb: FilterCallbacks): Promise<FilterStatus> {
    // getPerRouteFlags: a request without a route is not checked at all.
    if (cb.route().kind === 'no_route') return 'continue';
    let buffered: BufferedBody | undefined;
    const withBody = this.config.withRequestBody;
    if (withBody !== undefined && cb.requestBody.kind !== 'none') {
      const read = await this.bufferBody(cb, withBody.maxRequestBytes, withBody.allowPartialMessage);
      if (read === undefined) return 'stop';
      buffered = { data: read, maxRequestBytes: withBody.maxRequestBytes, packAsBytes: withBody.packAsBytes };
    }
    const request = buildCheckRequest(cb, Date.now(), buffered);
    this.env.onCheck();
    // Follows source/common/conn_pool/conn_pool_base.cc: past the cluster's circuit breakers the
    // call fails at once, like any other failed call.
    const admission = this.env.resources()?.admit();
    if (admission?.kind === 'overflow') return this.error(cb, `ext_authz_error{overflow_${admission.limit}}`);
    const outcome = await this.env.channels.check(this.env.endpoints(), request, this.config.timeoutMs, cb.signal);
    if (admission !== undefined) admission.release();
    if (cb.signal.aborted) return 'stop';
    if (outcome.kind === 'error') return this.error(cb, `ext_authz_error{gRPC_${outcome.code}}`);
    const response = outcome.response;
    // An unset google.rpc.Status reads as code 0: OK.
    if ((response.status?.code ?? 0) === 0) {
      return this.allow(cb, response.http_response === 'ok_response' ? response.ok_response : undefined);
    }
    return this.deny(cb, response.http_response === 'denied_response' ? response.denied_response : undefined);
  }

  /**
   * with_request_body (ext_authz.cc decodeHeaders/decodeData): the body is buffered until its
   * end, or with allow_partial_message until max_request_bytes are in (the check gets what is
   * there and the rest follows upstream); without it a longer body overflows the decoder buffer
   * limit, max_request_bytes: 413. undefined: the request was answered or reset.
   */
  private async bufferBody(cb: FilterCallbacks, maxRequestBytes: number, allowPartial: boolean): Promise<Buffer | undefined> {
    const body = cb.requestBody;
    if (body.kind === 'buffer') return body.data;
    if (body.kind !== 'stream') return Buffer.alloc(0);
    if (!allowPartial) {
      const all = await readAll(body.readable, maxRequestBytes);
      if (all === 'overflow') {
        cb.sendLocalReply({ status: 413, body: 'Payload Too Large', key: 'request_payload_too_large' });
        return undefined;
      }
      if (all instanceof Error) {
        cb.resetStream();
        return undefined;
      }
      cb.requestBody = { kind: 'buffer', data: all };
      return all;
    }
    // isBufferFull: buffered >= max_request_bytes.
    const part = await readUpTo(body.readable, maxRequestBytes - 1);
    if (part instanceof Error) {
      cb.resetStream();
      return undefined;
    }
    if (part.ended) cb.requestBody = { kind: 'buffer', data: part.data };
    else cb.requestBody = { kind: 'stream', readable: prepend(part.data, body.readable) };
    return part.data;
  }

  encodeHeaders(): Promise<FilterStatus> {
    return Promise.resolve('continue');
  }

  onDestroy(): void {
    // The pending call (if any) is cancelled through cb.signal.
  }

  private allow(cb: FilterCallbacks, ok: PbOkHttpResponseIn | undefined): FilterStatus {
    const mutations = readOkResponse(ok);
    if (mutations.kind === 'unsupported') return this.unsupported(cb, mutations.what);
    if (this.config.clearRouteCache && changesHeaders(mutations)) cb.clearRouteCache();
    const applied = this.applier.apply(mutations, cb.requestHeaders, { maxKb: cb.maxRequestHeadersKb, maxCount: cb.maxHeadersCount });
    if (applied.kind === 'unsupported') return this.unsupported(cb, applied.what);
    if (applied.kind === 'invalid') return this.invalid(cb, applied.message);
    return 'continue';
  }

  private deny(cb: FilterCallbacks, denied: PbDeniedHttpResponseIn | undefined): FilterStatus {
    const denial = readDenial(denied);
    if (denial.kind === 'unsupported') return this.unsupported(cb, denial.what);
    const checked = checkDenialHeaders(denial, this.config);
    if (checked.kind === 'unsupported') return this.unsupported(cb, checked.what);
    if (checked.kind === 'invalid') return this.invalid(cb, checked.message);
    cb.sendLocalReply({
      status: denial.status,
      body: denial.body,
      key: 'ext_authz_denied',
      details: 'ext_authz_denied',
      modifyHeaders: (headers) => replaceHeaders(denial, headers),
    });
    return 'stop';
  }

  private error(cb: FilterCallbacks, details: string): FilterStatus {
    this.env.onError();
    if (this.config.failureModeAllow) {
      if (this.config.failureModeAllowHeaderAdd) cb.requestHeaders.add(FAILURE_MODE_ALLOWED_HEADER, 'true');
      return 'continue';
    }
    cb.sendLocalReply({ status: this.config.statusOnError, key: 'ext_authz_error', details });
    return 'stop';
  }

  /** Envoy's rejectResponse: a response it will not apply fails the request with 500. */
  private invalid(cb: FilterCallbacks, message: string): FilterStatus {
    cb.sendLocalReply({ status: 500, key: 'ext_authz_invalid', details: `ext_authz_invalid{${message}}` });
    return 'stop';
  }

  private unsupported(cb: FilterCallbacks, what: string): FilterStatus {
    console.error(`envoy stand-in: ${what} is not implemented by the stand-in; answering 500`);
    cb.sendLocalReply({ status: 500, key: 'standin_unsupported', details: `${what} is not implemented by the Envoy stand-in` });
    return 'stop';
  }
}

/** A denial's headers override the local reply's: every named header is removed, then added. */
function replaceHeaders(denial: Denial, headers: HeaderMap): void {
  for (const [name] of denial.headers) headers.remove(name.toLowerCase());
  for (const [name, value] of denial.headers) headers.add(name.toLowerCase(), value);
}

export function extAuthzFilterFactory(config: ExtAuthzFilterConfig, env: ExtAuthzEnv): HttpFilterFactory {
  return { name: config.name, create: () => new ExtAuthzFilter(config, env) };
}

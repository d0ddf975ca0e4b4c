/**
 * One state-of-the-world ADS stream, as a state machine without I/O: it takes the client's
 * DiscoveryRequests and the server's resource updates and says which DiscoveryResponses to
 * send. Per type URL it keeps the subscription (wildcard or names), the last response sent
 * (version, nonce) and the version the client last accepted.
 *
 * The xDS rules it follows: a request whose response_nonce is not the nonce of the last
 * response of its type is stale and ignored; one that echoes it is an ACK, or a NACK when it
 * carries error_detail (the client keeps its previous version; the rejected one is not sent
 * again, only a newer one); a request without a nonce opens the subscription, and a client
 * that already holds the current version (it says so in version_info after a reconnect) gets
 * nothing until something changes. Every response carries every subscribed resource of its
 * type (all of them for a wildcard subscription), as Envoy deletes what a CDS response leaves out.
 */
import type { DiscoveryRequest, DiscoveryResponse } from '../gen/envoy/service/discovery/v3/discovery.js';
import type { ResourceSet } from './resources.js';

/** Names the control plane in every response (Envoy shows it in its config dump). */
export const CONTROL_PLANE_ID = 'trino-envoy-router';

interface Subscription {
  wildcard: boolean;
  names: ReadonlySet<string>;
  /** Last response sent on this stream, undefined before the first. */
  sent: { readonly version: string; readonly nonce: string } | undefined;
  /** The version the client holds: what it ACKed, or what it named when it subscribed. */
  accepted: string;
}

/** What one request meant, besides the responses it calls for. */
export type RequestKind =
  | { readonly kind: 'subscribe'; readonly clientVersion: string }
  | { readonly kind: 'ack'; readonly version: string }
  | { readonly kind: 'nack'; readonly rejectedVersion: string; readonly keptVersion: string; readonly message: string; readonly code: number }
  | { readonly kind: 'stale'; readonly nonce: string };

export interface RequestOutcome {
  readonly request: RequestKind;
  readonly responses: readonly DiscoveryResponse[];
}

export class AdsProtocolError extends Error {
  override readonly name = 'AdsProtocolError';
}

export class AdsStream {
  private readonly subscriptions = new Map<string, Subscription>();
  private nonces = 0;

  /** `streamId` makes nonces unique across streams, so a reconnecting client never echoes a valid one by chance. */
  constructor(
    private readonly resources: () => ResourceSet,
    private readonly streamId: string,
  ) {}

  /** The types this stream subscribes to. */
  types(): string[] {
    return [...this.subscriptions.keys()];
  }

  receive(request: DiscoveryRequest): RequestOutcome {
    const typeUrl = request.typeUrl;
    if (typeUrl === '') throw new AdsProtocolError('a DiscoveryRequest on an ADS stream must name its type_url');
    const wildcard = request.resourceNames.length === 0 || request.resourceNames.includes('*');
    const names = new Set(request.resourceNames.filter((n) => n !== '*'));
    const current = this.subscriptions.get(typeUrl);

    if (request.responseNonce !== '' && current !== undefined) {
      if (current.sent === undefined || request.responseNonce !== current.sent.nonce) {
        return { request: { kind: 'stale', nonce: request.responseNonce }, responses: [] };
      }
      const changed = current.wildcard !== wildcard || !sameNames(current.names, names);
      current.wildcard = wildcard;
      current.names = names;
      const error = request.errorDetail;
      let kind: RequestKind;
      if (error !== undefined) {
        // The client keeps what it had: request.versionInfo is its last good version.
        current.accepted = request.versionInfo;
        kind = { kind: 'nack', rejectedVersion: current.sent.version, keptVersion: request.versionInfo, message: error.message, code: error.code };
      } else {
        current.accepted = request.versionInfo;
        kind = { kind: 'ack', version: request.versionInfo };
      }
      // A new version may have been built since the response was sent; a NACKed one is not resent.
      const latest = this.resources().get(typeUrl)?.version;
      const newer = latest !== undefined && latest !== current.sent.version;
      return { request: kind, responses: changed || newer ? this.respond(typeUrl, current) : [] };
    }

    // A new subscription (or a nonce from an earlier stream, which means the same: the client
    // says which version it holds).
    const subscription: Subscription = { wildcard, names, sent: current?.sent, accepted: request.versionInfo };
    this.subscriptions.set(typeUrl, subscription);
    const served = this.resources().get(typeUrl);
    const upToDate = served !== undefined && request.versionInfo === served.version && current === undefined;
    return { request: { kind: 'subscribe', clientVersion: request.versionInfo }, responses: upToDate ? [] : this.respond(typeUrl, subscription) };
  }

  /** The resources changed: a response for every subscribed type whose version moved. */
  update(): DiscoveryResponse[] {
    const out: DiscoveryResponse[] = [];
    const set = this.resources();
    for (const [typeUrl, subscription] of this.subscriptions) {
      const served = set.get(typeUrl);
      if (served === undefined) continue;
      const last = subscription.sent?.version ?? subscription.accepted;
      if (served.version !== last) out.push(...this.respond(typeUrl, subscription));
    }
    return out;
  }

  private respond(typeUrl: string, subscription: Subscription): DiscoveryResponse[] {
    const served = this.resources().get(typeUrl);
    // A type the router does not serve gets no answer (the client's resources stay unknown).
    if (served === undefined) return [];
    const resources = subscription.wildcard
      ? [...served.resources.values()]
      : [...subscription.names].sort().flatMap((name) => {
        const resource = served.resources.get(name);
        return resource === undefined ? [] : [resource];
      });
    const nonce = `${this.streamId}-${++this.nonces}`;
    subscription.sent = { version: served.version, nonce };
    return [{
      versionInfo: served.version,
      resources,
      canary: false,
      typeUrl,
      nonce,
      controlPlane: { identifier: CONTROL_PLANE_ID },
    }];
  }
}

function sameNames(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const name of a) if (!b.has(name)) return false;
  return true;
}

/**
 * The monitor's HTTP transport: the global fetch, or, when the round carries TLS material (a CA
 * bundle, a client certificate), node:https with it (the global fetch takes no CA or client
 * certificate without the undici package). One connection per request (agent: false), like
 * the `Connection: close` every check sends.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { FetchLike, MonitorRequestInit } from './http-session.js';

/** A coordinator's answer to a check is small; more than this is cut off as an error. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export const monitorFetch: FetchLike = (url, init) => {
  if (init.tls === undefined) {
    const { tls: _tls, ...rest } = init;
    return fetch(url, rest);
  }
  return requestWithTls(url, init);
};

function requestWithTls(url: string, init: MonitorRequestInit): Promise<Response> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((value, name) => {
    headers[name] = value;
  });
  const body = typeof init.body === 'string' ? init.body : init.body == null ? undefined : String(init.body);
  return new Promise((resolve, reject) => {
    const request = send(target, {
      method: init.method ?? 'GET',
      headers,
      agent: false,
      ...(init.signal == null ? {} : { signal: init.signal }),
      ca: init.tls?.ca,
      cert: init.tls?.cert,
      key: init.tls?.key,
    }, (response) => collect(response).then(resolve, reject));
    request.on('error', reject);
    request.end(body);
  });
}

function collect(response: IncomingMessage): Promise<Response> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) {
        response.destroy(new Error(`answer larger than ${MAX_RESPONSE_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    response.on('error', reject);
    response.on('end', () => {
      const headers = new Headers();
      for (let i = 0; i + 1 < response.rawHeaders.length; i += 2) headers.append(response.rawHeaders[i] as string, response.rawHeaders[i + 1] as string);
      const status = response.statusCode ?? 502;
      const noBody = status === 204 || status === 205 || status === 304;
      resolve(new Response(noBody ? null : Buffer.concat(chunks), { status, headers }));
    });
  });
}

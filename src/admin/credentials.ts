/**
 * The admin port's transport: plaintext, TLS, or mutual TLS (admin.tls). Files are read once at
 * start; a missing or unreadable file stops the start with the field that names it.
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { AdminTlsFiles } from '../config/index.js';
import { RouterError } from '../errors.js';

/** A file admin.tls names cannot be read. */
export class AdminTlsFileError extends RouterError {
  constructor(field: string, path: string, cause: unknown) {
    const reason = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (cause as Error).message;
    super('admin_tls_file', `cannot read admin.tls.${field} (${path}): ${reason}`, { field, path });
  }
}

export function adminServerCredentials(tls: AdminTlsFiles | null): grpc.ServerCredentials {
  if (tls === null) return grpc.ServerCredentials.createInsecure();
  const clientCa = tls.clientCaFile === null ? null : readPem('clientCaFile', tls.clientCaFile);
  // checkClientCertificate: with a client CA, a handshake without a certificate it signed fails.
  return grpc.ServerCredentials.createSsl(
    clientCa,
    [{ cert_chain: readPem('certFile', tls.certFile), private_key: readPem('keyFile', tls.keyFile) }],
    clientCa !== null,
  );
}

/** Mutual TLS authenticates every connection, so the port may be reachable beyond loopback. */
export function requiresClientCertificates(tls: AdminTlsFiles | null): boolean {
  return tls !== null && tls.clientCaFile !== null;
}

function readPem(field: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new AdminTlsFileError(field, path, error);
  }
}

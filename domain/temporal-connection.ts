import * as fs from 'node:fs';
import type { TemporalConfig, TemporalTlsConfig } from './config';
import { KilnError } from './errors';

// How every Kiln process reaches Temporal: the options of both `Connection.connect` (@temporalio/client: API, `npm
// start`) and `NativeConnection.connect` (@temporalio/worker: orchestrator, build and signer workers), made from the
// config in one place. Here, not in workers/ or api/, because both use it; the shape is the SDK's TLSConfig, written
// out so domain/ needs no Temporal package. The files are read once, when the process connects at start: a missing or
// unreadable one stops the start with TEMPORAL_TLS_FILE_INVALID naming the file, not a TLS error from deep in gRPC.

/** The SDK's `TLSConfig` (@temporalio/common), field for field. */
export interface TemporalTlsOption {
  readonly serverRootCACertificate: Buffer;
  readonly clientCertPair?: { readonly crt: Buffer; readonly key: Buffer };
  readonly serverNameOverride?: string;
}

export interface TemporalConnectionOptions {
  readonly address: string;
  /** Absent: plain gRPC (the embedded dev server on loopback). */
  readonly tls?: TemporalTlsOption;
}

export function temporalConnectionOptions(temporal: TemporalConfig): TemporalConnectionOptions {
  return temporal.tls ? { address: temporal.address, tls: temporalTlsOption(temporal.tls) } : { address: temporal.address };
}

export function temporalTlsOption(tls: TemporalTlsConfig): TemporalTlsOption {
  const ca = readPem(tls.caFile, 'caFile', 'CERTIFICATE');
  // The config check makes certFile and keyFile come together; a half pair here is a caller's mistake.
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    throw new KilnError('TEMPORAL_TLS_FILE_INVALID', 'temporal.tls: certFile and keyFile go together: give both (mTLS) or neither');
  }
  const clientCertPair = tls.certFile !== undefined && tls.keyFile !== undefined
    ? { crt: readPem(tls.certFile, 'certFile', 'CERTIFICATE'), key: readPem(tls.keyFile, 'keyFile', 'PRIVATE KEY') }
    : undefined;
  return {
    serverRootCACertificate: ca,
    ...(clientCertPair ? { clientCertPair } : {}),
    ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
  };
}

/** The file's bytes, if it holds a PEM block of that kind (`PRIVATE KEY` also matches `RSA PRIVATE KEY`, `EC ...`). */
function readPem(file: string, field: keyof TemporalTlsConfig, kind: 'CERTIFICATE' | 'PRIVATE KEY'): Buffer {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new KilnError('TEMPORAL_TLS_FILE_INVALID', `temporal.tls.${field}: cannot read ${file} (${code})`);
  }
  if (!new RegExp(`-----BEGIN [A-Z ]*${kind}-----`).test(bytes.toString('latin1'))) {
    throw new KilnError('TEMPORAL_TLS_FILE_INVALID', `temporal.tls.${field}: ${file} holds no PEM ${kind.toLowerCase()}`);
  }
  return bytes;
}

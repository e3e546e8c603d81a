import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TemporalConfig } from '../../domain/config';
import { temporalConnectionOptions } from '../../domain/temporal-connection';
import { errorOf } from '../helpers/kiln-error';
import { tempDir, writeFile } from './config/helpers';

// The files' content is not parsed here (gRPC does that, test/workers/temporal-tls.int.test.ts proves real certificates
// work): only that each is read, is PEM of the right kind, and lands in the SDK's field.
const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';

const plain: TemporalConfig = { address: 'temporal.internal:7233', namespace: 'default', uiUrl: 'http://127.0.0.1:8233', embedded: false };

describe('temporalConnectionOptions', () => {
  it('is plain gRPC without temporal.tls', () => {
    expect(temporalConnectionOptions(plain)).toEqual({ address: 'temporal.internal:7233' });
  });

  it('reads the CA, the client pair and the server name into the SDK\'s TLSConfig fields', () => {
    const dir = tempDir();
    const tls = { caFile: writeFile(dir, 'ca.pem', CERT), certFile: writeFile(dir, 'client.pem', CERT), keyFile: writeFile(dir, 'client.key', KEY), serverName: 'temporal' };
    expect(temporalConnectionOptions({ ...plain, tls })).toEqual({
      address: 'temporal.internal:7233',
      tls: { serverRootCACertificate: Buffer.from(CERT), clientCertPair: { crt: Buffer.from(CERT), key: Buffer.from(KEY) }, serverNameOverride: 'temporal' },
    });
  });

  it('is TLS without a client certificate when only the CA is given', () => {
    const dir = tempDir();
    expect(temporalConnectionOptions({ ...plain, tls: { caFile: writeFile(dir, 'ca.pem', CERT) } }).tls).toEqual({ serverRootCACertificate: Buffer.from(CERT) });
  });

  it('names the field and file of a missing one', () => {
    const dir = tempDir();
    const missing = path.join(dir, 'nope.key');
    const err = errorOf(() => temporalConnectionOptions({ ...plain, tls: { caFile: writeFile(dir, 'ca.pem', CERT), certFile: writeFile(dir, 'c.pem', CERT), keyFile: missing } }));
    expect(err.code).toBe('TEMPORAL_TLS_FILE_INVALID');
    expect(err.message).toBe(`temporal.tls.keyFile: cannot read ${missing} (ENOENT)`);
  });

  it('refuses a file that is not PEM of its kind (a key given as the CA, a certificate as the key)', () => {
    const dir = tempDir();
    const key = writeFile(dir, 'k.pem', KEY);
    const cert = writeFile(dir, 'c.pem', CERT);
    expect(errorOf(() => temporalConnectionOptions({ ...plain, tls: { caFile: key } })).message).toBe(`temporal.tls.caFile: ${key} holds no PEM certificate`);
    const err = errorOf(() => temporalConnectionOptions({ ...plain, tls: { caFile: cert, certFile: cert, keyFile: cert } }));
    expect(err.code).toBe('TEMPORAL_TLS_FILE_INVALID');
    expect(err.message).toBe(`temporal.tls.keyFile: ${cert} holds no PEM private key`);
  });
});

import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig, type KilnConfig } from '../../domain/config';
import { PROJECT_ROOT } from '../../domain/project-paths';
import { temporalConnectionOptions } from '../../domain/temporal-connection';
import { connectWorker } from '../../workers/lib/process';
import { quietRuntime, uniqueId, withWorkers } from '../helpers/temporal';

// Kiln's Temporal connections over TLS with client certificates, for real. The dev server has no TLS, so the test puts
// a TLS-terminating proxy in front of the run's shared server: Node's tls module, REQUIRING a client certificate from
// the test CA (requestCert + rejectUnauthorized), forwarding the bytes to the plain port (gRPC's HTTP/2 passes through
// untouched). Certificates: a CA, a server and a client certificate made with openssl, and a second, untrusted CA with
// a client certificate of its own. Each Kiln config goes through the real loader and the one connection helper.

const SERVER_NAME = 'temporal.kiln.test'; // not the address's host: the config's serverName has to do its job

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-keyout', `${name}.key`, '-out', `${name}.pem`, '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

/** A leaf certificate `name.pem` + key `name.key`, signed by `ca`. rustls (the workers' TLS) wants proper extensions. */
function makeLeaf(dir: string, name: string, ca: string, extensions: string[]): void {
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  fs.writeFileSync(path.join(dir, `${name}.ext`), [
    'basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid', ...extensions, '',
  ].join('\n'));
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '1', '-out', `${name}.pem`, '-extfile', `${name}.ext`]);
}

interface MtlsProxy {
  address: string;
  /** Common names of the client certificates the proxy accepted, one per forwarded connection. */
  accepted: string[];
  /** Handshakes the proxy refused, by reason. */
  refused: string[];
  close(): Promise<void>;
}

async function startMtlsProxy(upstream: string, dir: string): Promise<MtlsProxy> {
  const [upstreamHost, upstreamPort] = [upstream.slice(0, upstream.lastIndexOf(':')), Number(upstream.slice(upstream.lastIndexOf(':') + 1))];
  const accepted: string[] = [];
  const refused: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({
    key: fs.readFileSync(path.join(dir, 'server.key')),
    cert: fs.readFileSync(path.join(dir, 'server.pem')),
    ca: [fs.readFileSync(path.join(dir, 'ca.pem'))],
    requestCert: true,
    rejectUnauthorized: true,
    ALPNProtocols: ['h2'],
  }, (client) => {
    accepted.push(String(client.getPeerCertificate().subject.CN));
    const backend = net.connect({ host: upstreamHost, port: upstreamPort });
    sockets.add(backend);
    const end = () => { client.destroy(); backend.destroy(); };
    for (const s of [client, backend]) { s.once('error', end); s.once('close', end); }
    client.pipe(backend).pipe(client);
  });
  server.on('connection', (socket: net.Socket) => sockets.add(socket));
  server.on('tlsClientError', (err) => refused.push(err.message));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    accepted,
    refused,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('Temporal over TLS with client certificates (temporal.tls)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-temporal-tls-'));
  let proxy: MtlsProxy;

  beforeAll(async () => {
    quietRuntime();
    makeCa(dir, 'ca');
    makeLeaf(dir, 'server', 'ca', ['extendedKeyUsage=serverAuth', `subjectAltName=DNS:${SERVER_NAME}`]);
    makeLeaf(dir, 'kiln-client', 'ca', ['extendedKeyUsage=clientAuth']);
    makeCa(dir, 'other-ca');
    makeLeaf(dir, 'rogue-client', 'other-ca', ['extendedKeyUsage=clientAuth']);
    fs.chmodSync(path.join(dir, 'kiln-client.key'), 0o600);
    proxy = await startMtlsProxy(inject('temporalAddress'), dir);
  });

  afterAll(async () => {
    await proxy?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A Kiln config through the real loader: tls paths relative to the config's folder, resolved by it. */
  function kilnConfig(tlsBlock: Record<string, string>): KilnConfig {
    return parseConfig(stringify({
      dataDir: path.join(dir, 'data'),
      temporal: { address: proxy.address, embedded: false, tls: { serverName: SERVER_NAME, ...tlsBlock } },
      trees: [{ name: 'example', url: path.join(PROJECT_ROOT, 'examples/ports'), format: 'deb', distribution: 'bookworm', branches: ['main'], architectures: ['amd64'] }],
    }), dir, {});
  }

  const trusted = { caFile: 'ca.pem', certFile: 'kiln-client.pem', keyFile: 'kiln-client.key' };

  /** A client connection that gives up quickly: a refused handshake is retried until the deadline. */
  function connectClient(config: KilnConfig): Promise<Connection> {
    return Connection.connect({ ...temporalConnectionOptions(config.temporal), connectTimeout: 3_000 });
  }

  it('connects a client and a worker with the CA and a client certificate, and runs a workflow through them', async () => {
    const config = kilnConfig(trusted);
    const before = proxy.accepted.length;
    const connection = await connectClient(config);
    const workerConnection = await connectWorker(config);
    try {
      const client = new Client({ connection, namespace: config.temporal.namespace });
      const described = await connection.workflowService.describeNamespace({ namespace: config.temporal.namespace });
      expect(described.namespaceInfo?.name).toBe('default');
      await workerConnection.workflowService.getSystemInfo({});

      const taskQueue = uniqueId('tls');
      const worker = await Worker.create({
        connection: workerConnection,
        namespace: config.temporal.namespace,
        taskQueue,
        workflowBundle: await bundleWorkflowCode({ workflowsPath: path.join(PROJECT_ROOT, 'test/fixtures/echo-workflow/index.ts'), logger: new DefaultLogger('WARN') }),
      });
      const result = await withWorkers([worker], () => client.workflow.execute('echoWorkflow', {
        taskQueue, workflowId: uniqueId('tls-echo'), args: ['over mTLS'],
      }));
      expect(result).toBe('over mTLS');

      // The compose healthcheck of a build worker sees the worker's poller through the same mTLS, with the flags a
      // worker takes; without a client certificate it is refused and says the container is unhealthy.
      // Not spawnSync: the mTLS proxy runs in this process's event loop.
      const healthcheck = (tlsArgs: string[]) => new Promise<{ status: number | null; stderr: string }>((resolve) => {
        execFile(process.execPath, [
          path.join(PROJECT_ROOT, 'images/runtime/kiln-healthcheck'), 'poller', taskQueue, 'workflow',
          '--temporal', proxy.address, '--namespace', config.temporal.namespace, ...tlsArgs,
        ], { env: { ...process.env, KILN_RUNTIME_ROOT: PROJECT_ROOT }, encoding: 'utf8', timeout: 60_000 }, (err, _stdout, stderr) => {
          resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stderr });
        });
      });
      const tlsFlags = ['--tls-ca', path.join(dir, 'ca.pem'), '--tls-server-name', SERVER_NAME];
      const healthy = await healthcheck([...tlsFlags, '--tls-cert', path.join(dir, 'kiln-client.pem'), '--tls-key', path.join(dir, 'kiln-client.key')]);
      expect(healthy.status, healthy.stderr).toBe(0);
      const refusedCheck = await healthcheck(tlsFlags);
      expect(refusedCheck.status).toBe(1);
      expect(refusedCheck.stderr).toMatch(/unhealthy/);
    } finally {
      await connection.close();
      await workerConnection.close();
    }
    // Both connections went through the proxy, each with Kiln's client certificate.
    expect(proxy.accepted.slice(before).length).toBeGreaterThanOrEqual(2);
    expect(new Set(proxy.accepted.slice(before))).toEqual(new Set(['kiln-client']));
  });

  it('is refused without a client certificate', async () => {
    const config = kilnConfig({ caFile: 'ca.pem' });
    const [accepted, refused] = [proxy.accepted.length, proxy.refused.length];
    await expect(connectClient(config)).rejects.toThrow();
    // The worker's connection goes through Kiln's start-up path: a KilnError, not a stack trace.
    await expect(connectWorker(config)).rejects.toMatchObject({ code: 'TEMPORAL_UNAVAILABLE' });
    expect(proxy.accepted.length).toBe(accepted);
    expect(proxy.refused.slice(refused).some((m) => /certificate/i.test(m)), proxy.refused.join('; ')).toBe(true);
  });

  it('is refused with a client certificate from a CA the server does not trust', async () => {
    const config = kilnConfig({ caFile: 'ca.pem', certFile: 'rogue-client.pem', keyFile: 'rogue-client.key' });
    const [accepted, refused] = [proxy.accepted.length, proxy.refused.length];
    await expect(connectClient(config)).rejects.toThrow();
    expect(proxy.accepted.length).toBe(accepted);
    expect(proxy.refused.slice(refused).length).toBeGreaterThan(0);
  });

  it('refuses a server whose certificate is not from the configured CA', async () => {
    // Kiln's own client certificate, but it trusts the other CA: the client must not talk to this server.
    const config = kilnConfig({ ...trusted, caFile: 'other-ca.pem' });
    const accepted = proxy.accepted.length;
    await expect(connectClient(config)).rejects.toThrow();
    await expect(connectWorker(config)).rejects.toMatchObject({ code: 'TEMPORAL_UNAVAILABLE' });
    expect(proxy.accepted.length).toBe(accepted);
  });

  it('refuses a server certificate that does not carry the configured server name', async () => {
    const config = kilnConfig({ ...trusted, serverName: 'someone-else.kiln.test' });
    const accepted = proxy.accepted.length;
    await expect(connectClient(config)).rejects.toThrow();
    expect(proxy.accepted.length).toBe(accepted);
  });
});

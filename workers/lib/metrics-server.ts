import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KilnError } from '../../domain/errors';
import { PROMETHEUS_CONTENT_TYPE, type Registry } from '../../domain/observability/metrics';

// A worker process's /metrics: a bare node:http listener, only when asked for (`--metrics-port` or KILN_METRICS_PORT).

export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * `--metrics-port` wins over KILN_METRICS_PORT; neither means no listener. `9464` listens on 127.0.0.1,
 * `0.0.0.0:9464` (or `[::]:9464`) on every interface, for a Prometheus on another host. Port 0: any free port.
 */
export function metricsListenAddress(flag: string | undefined, env: string | undefined = process.env.KILN_METRICS_PORT): ListenAddress | undefined {
  const value = (flag ?? env)?.trim();
  if (!value) return undefined;
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):)?(\d{1,5})$/.exec(value);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) {
    throw new KilnError('CONFIG_INVALID', `--metrics-port / KILN_METRICS_PORT: expected [host:]port, got ${JSON.stringify(value)}`);
  }
  const host = match[1]?.replace(/^\[|\]$/g, '') ?? '127.0.0.1';
  return { host, port };
}

export interface MetricsServer {
  /** `http://host:port/metrics`, with the port actually bound. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves GET /metrics from `registry`; anything else is 404. Rejects (CONFIG_INVALID) when the port is taken. */
export async function startMetricsServer(registry: Registry, address: ListenAddress): Promise<MetricsServer> {
  const server = http.createServer((request, response) => {
    const pathname = (request.url ?? '/').split('?')[0];
    if (pathname !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: this listener serves GET /metrics\n');
      return;
    }
    registry.render().then(
      (text) => {
        response.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      (err: unknown) => {
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`metrics failed: ${String(err)}\n`);
      },
    );
  });
  // Scrapes are short: do not let an idle keep-alive connection hold the process open at shutdown.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(new KilnError('CONFIG_INVALID', `cannot serve metrics on ${address.host}:${address.port}: ${err.code ?? err.message}`));
    });
    server.listen(address.port, address.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${metricsPortArg(address, port - address.port)}/metrics`,
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** `host:port` (IPv6 in brackets) for `--metrics-port`, `offset` ports above `base`: the embedded default's children. */
export function metricsPortArg(base: ListenAddress, offset: number): string {
  const host = base.host.includes(':') ? `[${base.host}]` : base.host;
  return `${host}:${base.port + offset}`;
}

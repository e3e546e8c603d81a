import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';

/**
 * The only way out of a build's dependency phase: an HTTP proxy that serves GET/HEAD of the configured Debian
 * mirror(s) and CONNECT to their https port, and refuses everything else with a line that says why. It listens on
 * the gateway of the builds' internal network, so nothing else on that network is routable.
 */
export class MirrorProxy {
  private constructor(private readonly server: http.Server, readonly url: string, readonly port: number) {}

  static async start(host: string, mirrors: readonly string[], log: (line: string) => void = () => undefined): Promise<MirrorProxy> {
    const allowed = mirrors.map((m) => new URL(m.endsWith('/') ? m : `${m}/`));
    const permits = (target: URL) => allowed.some((m) => m.protocol === target.protocol && m.host === target.host && target.pathname.startsWith(m.pathname));
    const server = http.createServer((req, res) => {
      let target: URL | undefined;
      try { target = new URL(req.url ?? ''); } catch { /* not an absolute URI: not a proxy request */ }
      if (!target || (req.method !== 'GET' && req.method !== 'HEAD') || !permits(target)) {
        log(`refused ${req.method} ${String(req.url).slice(0, 200)}`);
        res.writeHead(403, { 'content-type': 'text/plain' }).end('kiln: a build reaches only the configured Debian mirror\n');
        return;
      }
      // An https mirror asked for in absolute form (`GET https://…`, which apt does not send but a build may): fetched
      // over TLS here. Every error of a request becomes this request's answer, never the worker's crash.
      let upstream: http.ClientRequest;
      try {
        upstream = (target.protocol === 'https:' ? https : http).request(target, { method: req.method, headers: forwardable(req.headers), timeout: 60_000 }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
      } catch (err) {
        log(`cannot fetch ${target.href.slice(0, 200)}: ${(err as Error).message}`);
        res.writeHead(502, { 'content-type': 'text/plain' }).end('kiln: cannot fetch that from the mirror\n');
        return;
      }
      upstream.on('timeout', () => upstream.destroy(new Error('mirror timed out')));
      upstream.on('error', (err) => {
        log(`mirror unreachable for ${target!.href.slice(0, 200)}: ${err.message}`);
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`kiln: mirror unreachable: ${err.message}\n`);
        else res.destroy();
      });
      req.on('aborted', () => upstream.destroy());
      upstream.end();
    });
    server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      const [host, port] = (req.url ?? '').split(':');
      const ok = port === '443' && allowed.some((m) => m.protocol === 'https:' && m.hostname === host);
      if (!ok) {
        log(`refused CONNECT ${String(req.url).slice(0, 200)}`);
        socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
        return;
      }
      const upstream = net.connect(443, host, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length) upstream.write(head);
        upstream.pipe(socket).pipe(upstream);
      });
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    server.on('clientError', (_err, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    const port = (server.address() as net.AddressInfo).port;
    const urlHost = host.includes(':') ? `[${host}]` : host;
    return new MirrorProxy(server, `http://${urlHost}:${port}`, port);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const HOP_BY_HOP = new Set(['proxy-connection', 'proxy-authorization', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

function forwardable(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

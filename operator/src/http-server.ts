// /metrics (Prometheus text), /healthz (the process serves requests) and /readyz (caches synced) on one
// small HTTP server.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HealthSource {
  ready(): boolean;
}

export class OperatorHttpServer {
  private readonly server: http.Server;

  constructor(registry: Registry, health: HealthSource) {
    this.server = http.createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/metrics') {
        registry
          .metrics()
          .then((text) => {
            res.writeHead(200, { 'Content-Type': registry.contentType });
            res.end(text);
          })
          .catch((e: unknown) => {
            res.writeHead(500);
            res.end(String(e));
          });
      } else if (path === '/healthz' || path === '/livez') {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('ok');
      } else if (path === '/readyz') {
        const ok = health.ready();
        res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' });
        res.end(ok ? 'ok' : 'caches not synced');
      } else {
        res.writeHead(404);
        res.end();
      }
    });
  }

  async listen(port: number, host = '0.0.0.0'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

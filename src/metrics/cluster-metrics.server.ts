import { createServer } from 'node:http';
import { AggregatorRegistry } from 'prom-client';

/**
 * The sticky-cluster primary's /metrics: every worker's registry, gathered over IPC and summed
 * (gauges and counters) or merged (histograms) by prom-client, so one scrape sees the whole host.
 */
export function serveClusterMetrics(
  port: number,
  host: string,
  log: { info(message: string): void; warn(message: string): void },
): Promise<void> {
  const aggregator = new AggregatorRegistry();
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    aggregator.clusterMetrics().then(
      (body) => res.writeHead(200, { 'content-type': aggregator.contentType }).end(body),
      (error: Error) => {
        log.warn(`cluster metrics: ${error.message}`);
        res.writeHead(503, { 'content-type': 'text/plain' }).end(`metrics unavailable: ${error.message}\n`);
      },
    );
  });
  return new Promise((resolve) =>
    server.listen(port, host, () => {
      log.info(`cluster metrics on http://${host}:${port}/metrics`);
      server.unref();
      resolve();
    }),
  );
}

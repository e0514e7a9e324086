import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

export interface StaticServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves files for browser tests on 127.0.0.1 (a port of its own, so pages are of another origin
 * than the Switchboard server, as in production). `routes` maps a URL prefix to a directory, or
 * an exact path to a file; unknown paths under a directory fall back to its index.html (an SPA).
 */
export function serveStatic(routes: Record<string, string>): Promise<StaticServer> {
  const entries = Object.entries(routes).sort(([a], [b]) => b.length - a.length);
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    let file: string | undefined;
    for (const [prefix, target] of entries) {
      if (path === prefix && !statSync(target).isDirectory()) file = target;
      else if (path.startsWith(prefix) && statSync(target).isDirectory()) {
        const relative = normalize(path.slice(prefix.length)).replace(/^(\.\.[/\\])+/, '');
        const candidate = join(target, relative);
        file = existsSync(candidate) && statSync(candidate).isFile() ? candidate : join(target, 'index.html');
      }
      if (file) break;
    }
    if (!file || !existsSync(file)) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(file).pipe(response);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ url: `http://127.0.0.1:${port}`, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { DASHBOARD_HTML, DASHBOARD_JS } from './dashboard.page';

// No inline script may run; the socket connects to this origin only.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'none'";
// The browser client that socket.io itself ships (client-dist), built from the socket.io-client of
// its own release: no runtime dependency on socket.io-client just for this page.
const CLIENT_BUNDLE = readFileSync(join(dirname(require.resolve('socket.io/package.json')), 'client-dist', 'socket.io.min.js'), 'utf8');

/** GET /admin: the dashboard shell (public; the data behind it needs an admin token on /admin-ws). */
@ApiExcludeController()
@Controller('admin')
export class DashboardController {
  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', CSP)
  @Header('cache-control', 'no-store')
  @Header('x-frame-options', 'DENY')
  page(): string {
    return DASHBOARD_HTML;
  }

  @Get('dashboard.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('cache-control', 'no-cache')
  script(): string {
    return DASHBOARD_JS;
  }

  @Get('socket.io.min.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('cache-control', 'public, max-age=3600')
  client(): string {
    return CLIENT_BUNDLE;
  }
}

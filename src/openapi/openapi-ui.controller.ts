import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { OPENAPI_JSON_PATH, OPENAPI_UI_PATH } from './openapi';

const UI_DIR = join(require.resolve('swagger-ui-dist/package.json'), '..');
const BUNDLE = readFileSync(join(UI_DIR, 'swagger-ui-bundle.js'), 'utf8');
const CSS = readFileSync(join(UI_DIR, 'swagger-ui.css'), 'utf8');
// No inline script (the CSP below forbids it): the page loads this file to start the UI.
const INIT = `window.ui = SwaggerUIBundle({ url: '/${OPENAPI_JSON_PATH}', dom_id: '#swagger-ui', deepLinking: true });\n`;
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Switchboard HTTP API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/${OPENAPI_UI_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/${OPENAPI_UI_PATH}/swagger-ui-bundle.js"></script>
<script src="/${OPENAPI_UI_PATH}/init.js"></script>
</body>
</html>
`;
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";

/**
 * Swagger UI for the document at /docs-json, from swagger-ui-dist. Served by routes of our own
 * rather than SwaggerModule's: its Fastify path needs @fastify/static through a dynamic import.
 */
@ApiExcludeController()
@Controller(OPENAPI_UI_PATH)
export class OpenApiUiController {
  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', CSP)
  page(): string {
    return PAGE;
  }

  @Get('swagger-ui-bundle.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('cache-control', 'public, max-age=3600')
  bundle(): string {
    return BUNDLE;
  }

  @Get('swagger-ui.css')
  @Header('content-type', 'text/css; charset=utf-8')
  @Header('cache-control', 'public, max-age=3600')
  css(): string {
    return CSS;
  }

  @Get('init.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  init(): string {
    return INIT;
  }
}

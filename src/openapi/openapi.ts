import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { dtoSchemas } from '../common/schema-validation';

/** Swagger UI at /docs, the document at /docs-json (and /docs-yaml). */
export const OPENAPI_UI_PATH = 'docs';
export const OPENAPI_JSON_PATH = 'docs-json';

const VERSION = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

/** The error body of every HTTP refusal (docs/protocol.md §12). */
const ERROR_RESPONSE = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'A code of the error taxonomy (docs/protocol.md §12).' },
        message: { type: 'string' },
        details: { description: 'Per code: failing fields, limits, retryAfterMs…' },
      },
    },
  },
};

/**
 * The HTTP API as OpenAPI 3, from the controllers' decorators. Request bodies and parameters are
 * the class-validator DTOs the routes validate with, turned into JSON Schema by
 * class-validator-jsonschema: one source for the check and the document, so they cannot drift.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Switchboard HTTP API')
    .setDescription(
      'Publish events, create print jobs, revoke tokens, issue stream tickets, read health. Authenticate with a JWT ' +
        '(`Authorization: Bearer …`); each route names the roles it admits. Real-time delivery is Socket.IO (docs/asyncapi.yaml), ' +
        'SSE and plain WebSocket (docs/protocol.md §15).',
    )
    .setVersion(VERSION)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  const validated = dtoSchemas('#/components/schemas/');
  const schemas = { ...(document.components?.schemas ?? {}) } as Record<string, unknown>;
  schemas.ErrorResponse = ERROR_RESPONSE;
  // Swagger names the DTO classes it found; their shapes come from their validation rules, and
  // so do the DTOs those refer to (nested messages, printers, documents…). WebSocket DTOs,
  // which no route refers to, stay out.
  for (const name of Object.keys(schemas)) if (validated[name]) schemas[name] = validated[name];
  const pending = [JSON.stringify(document.paths), ...Object.values(schemas).map((schema) => JSON.stringify(schema))];
  for (let text = pending.pop(); text !== undefined; text = pending.pop()) {
    for (const [, name] of text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      if (schemas[name] !== undefined || validated[name] === undefined) continue;
      schemas[name] = validated[name];
      pending.push(JSON.stringify(validated[name]));
    }
  }
  document.components = { ...document.components, schemas: schemas as NonNullable<OpenAPIObject['components']>['schemas'] };
  return document;
}

/** Serves the document at /docs-json and /docs-yaml; the UI at /docs is OpenApiUiController. */
export function setupOpenApi(app: INestApplication): void {
  // Built on the first request, not at boot: most processes never serve it.
  let document: OpenAPIObject | undefined;
  SwaggerModule.setup(OPENAPI_UI_PATH, app, () => (document ??= buildOpenApiDocument(app)), {
    swaggerUiEnabled: false,
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    yamlDocumentUrl: 'docs-yaml',
  });
}

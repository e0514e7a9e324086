import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { createTestApp, type TestApp } from '../utils/test-app';

type Operation = {
  summary?: string;
  parameters?: { name: string; in: string }[];
  responses: Record<string, unknown>;
  security?: unknown[];
  requestBody?: unknown;
};
type Document = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };

/** Every HTTP route the Nest application declares, as "METHOD /path" with OpenAPI's {param} templates. */
function declaredRoutes(app: TestApp): Set<string> {
  const routes = new Set<string>();
  for (const module of app.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const type = wrapper.metatype as (new (...args: never[]) => object) | null;
      if (!type) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, type) ?? '');
      for (const name of Object.getOwnPropertyNames(type.prototype)) {
        const handler = (type.prototype as Record<string, unknown>)[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (path === undefined || method === undefined) continue;
        const full = `/${[base, path]
          .map((part) => part.replace(/^\/|\/$/g, ''))
          .filter(Boolean)
          .join('/')}`;
        routes.add(`${RequestMethod[method]} ${full.replace(/:(\w+)/g, '{$1}')}`);
      }
    }
  }
  return routes;
}

describe('OpenAPI (/docs-json) and Swagger UI (/docs)', () => {
  let server: TestApp;
  let document: Document;
  beforeAll(async () => {
    server = await createTestApp();
    const answer = await fetch(`${server.url}/docs-json`);
    expect(answer.status).toBe(200);
    document = (await answer.json()) as Document;
  });
  afterAll(() => server.close());

  it('describes exactly the /v1, /health and /metrics routes the server declares', () => {
    const documented = new Set(
      Object.entries(document.paths).flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    const api = [...declaredRoutes(server)].filter((route) => /^\w+ \/(v1|health|metrics)(\/|$)/.test(route));
    expect(api.length).toBeGreaterThanOrEqual(15);
    expect([...documented].sort()).toEqual(api.sort());
  });

  it('gives every operation a summary, its answers, its path parameters, and bearer auth where a token is needed', () => {
    expect(document.openapi).toMatch(/^3\./);
    for (const [path, operations] of Object.entries(document.paths)) {
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => name).sort();
      for (const [method, operation] of Object.entries(operations)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect([where, Object.keys(operation.responses).length > 0, operation.summary !== undefined]).toEqual([where, true, true]);
        const inPath = (operation.parameters ?? []).filter((parameter) => parameter.in === 'path').map((parameter) => parameter.name);
        expect([where, inPath.sort()]).toEqual([where, templated]);
        if (path.startsWith('/v1/') && path !== '/v1/sse') {
          expect([where, operation.security]).toEqual([where, [{ bearer: [] }]]);
          expect([where, operation.responses['401']]).toEqual([where, expect.objectContaining({ description: expect.any(String) })]);
        }
      }
    }
  });

  it('takes request bodies from the DTOs the routes validate with, and resolves every $ref', () => {
    expect(document.components.schemas.PublishMessageDto).toMatchObject({
      type: 'object',
      required: ['namespace', 'channel', 'event', 'data'],
      properties: { event: { type: 'string', pattern: expect.any(String) } },
    });
    expect(document.paths['/v1/publish/batch'].post.requestBody).toMatchObject({
      content: { 'application/json': { schema: { $ref: '#/components/schemas/PublishBatchDto' } } },
    });
    const refs = [...JSON.stringify(document).matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map(([, name]) => name);
    expect(refs.filter((name) => document.components.schemas[name] === undefined)).toEqual([]);
    // WebSocket DTOs no route refers to stay out.
    expect(document.components.schemas.SubscribeDto).toBeUndefined();
  });

  it('serves Swagger UI from this origin, with no inline script', async () => {
    const page = await fetch(`${server.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('<script src="/docs/swagger-ui-bundle.js"></script>');
    expect(html).not.toMatch(/<script>(?!<)/);
    for (const asset of ['swagger-ui-bundle.js', 'swagger-ui.css', 'init.js']) {
      expect([asset, (await fetch(`${server.url}/docs/${asset}`)).status]).toEqual([asset, 200]);
    }
    expect((await fetch(`${server.url}/docs-yaml`)).status).toBe(200);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser, type AsyncAPIDocumentInterface } from '@asyncapi/parser';
import { MetadataScanner } from '@nestjs/core';
import { GATEWAY_OPTIONS, MESSAGE_MAPPING_METADATA, MESSAGE_METADATA } from '@nestjs/websockets/constants';
import { ADMIN_NAMESPACE } from '../../src/admin/admin.definition';
import { AdminGateway } from '../../src/admin/admin.gateway';
import { AVAILABILITY_NAMESPACE } from '../../src/availability/availability.definition';
import { AvailabilityGateway } from '../../src/availability/availability.gateway';
import { CHANNEL_KINDS } from '../../src/channels/channel-name';
import { ErrorCode } from '../../src/common/app.errors';
import { NAMESPACE_EVENTS, type NamespaceName } from '../../src/contract/namespaces.events';
import { ORDERS_NAMESPACE } from '../../src/orders/orders.definition';
import { OrdersGateway } from '../../src/orders/orders.gateway';
import { PRESENCE_NAMESPACE } from '../../src/presence/presence.definition';
import { PresenceGateway } from '../../src/presence/presence.gateway';
import { PRINTING_NAMESPACE } from '../../src/printing/printing.definition';
import { PrintingGateway } from '../../src/printing/printing.gateway';
import type { NamespaceDefinition } from '../../src/realtime/namespace.registry';
import { NamespaceRegistry } from '../../src/realtime/namespace.registry';
import { SYNC_NAMESPACE } from '../../src/sync/sync.definition';
import { SyncGateway } from '../../src/sync/sync.gateway';
import { ROOT } from '../utils/server-process';
import { createTestApp } from '../utils/test-app';

const DEFINITIONS: Record<NamespaceName, NamespaceDefinition> = {
  orders: ORDERS_NAMESPACE,
  availability: AVAILABILITY_NAMESPACE,
  sync: SYNC_NAMESPACE,
  presence: PRESENCE_NAMESPACE,
  'printing-ws': PRINTING_NAMESPACE,
  'admin-ws': ADMIN_NAMESPACE,
};
const GATEWAYS = [OrdersGateway, AvailabilityGateway, SyncGateway, PresenceGateway, PrintingGateway, AdminGateway];
const NAMESPACES = Object.keys(NAMESPACE_EVENTS) as NamespaceName[];
const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

/** What the document says of one namespace, read through the parser's model. */
function described(document: AsyncAPIDocumentInterface, namespace: string) {
  const channel = document
    .channels()
    .all()
    .find((candidate) => candidate.address() === `/${namespace}`);
  if (!channel) throw new Error(`no channel with address /${namespace} in docs/asyncapi.yaml`);
  const operations = document
    .operations()
    .all()
    .filter((operation) =>
      operation
        .channels()
        .all()
        .some((c) => c.id() === channel.id()),
    );
  const names = (action: 'send' | 'receive', reserved: boolean) =>
    sorted(
      operations
        .filter((operation) => operation.action() === action)
        .flatMap((operation) => operation.messages().all())
        .filter((message) => Boolean(message.extensions().get('x-socketio-reserved')?.value()) === reserved)
        .map((message) => message.name() as string),
    );
  return {
    channel,
    serverToClient: names('send', false),
    clientToServer: names('receive', false),
    reserved: names('send', true),
    publishable: sorted(
      channel
        .messages()
        .all()
        .filter((message) => message.extensions().get('x-publishable')?.value() === true)
        .map((message) => message.name() as string),
    ),
    roles: sorted(channel.extensions().get('x-switchboard-roles')?.value() as string[]),
    patterns: sorted(
      (channel.extensions().get('x-switchboard-channels')?.value() as { pattern: string }[]).map(({ pattern }) => pattern.split(':')[0]),
    ),
    replies: operations
      .filter((operation) => operation.action() === 'receive')
      .map(
        (operation) =>
          operation
            .reply()
            ?.messages()
            .all()
            .map((m) => m.name()) ?? [],
      ),
  };
}

/** The events a gateway really handles: every @SubscribeMessage on its class and the classes it extends. */
function handledBy(gateway: (typeof GATEWAYS)[number]): { namespace: string; events: string[] } {
  const options = Reflect.getMetadata(GATEWAY_OPTIONS, gateway) as { namespace: string };
  const prototype = gateway.prototype as unknown as Record<string, unknown>;
  const events = new MetadataScanner()
    .getAllMethodNames(prototype)
    .filter((method) => Reflect.getMetadata(MESSAGE_MAPPING_METADATA, prototype[method] as object))
    .map((method) => Reflect.getMetadata(MESSAGE_METADATA, prototype[method] as object) as string);
  return { namespace: options.namespace.replace(/^\//, ''), events: sorted(events) };
}

/**
 * docs/asyncapi.yaml is the event catalog users build against. It must be valid AsyncAPI 3, and
 * say exactly what the code does: no event in the code missing from the document, none in the
 * document missing from the code, per namespace and direction; the same publish catalogs, roles,
 * channel kinds and error codes.
 */
describe('docs/asyncapi.yaml', () => {
  let document: AsyncAPIDocumentInterface;

  beforeAll(async () => {
    const source = readFileSync(join(ROOT, 'docs', 'asyncapi.yaml'), 'utf8');
    const { document: parsed, diagnostics } = await new Parser().parse(source);
    // Spectral severities: 0 error, 1 warning; information and hints are not failures.
    const problems = diagnostics.filter((diagnostic) => Number(diagnostic.severity) <= 1);
    if (!parsed || problems.length > 0) {
      throw new Error(`docs/asyncapi.yaml is not valid AsyncAPI:\n${problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('\n')}`);
    }
    document = parsed;
  }, 30_000);

  it('is AsyncAPI 3', () => {
    expect(document.version()).toMatch(/^3\./);
  });

  it('describes exactly the namespaces the server registers', async () => {
    const app = await createTestApp();
    try {
      const registered = sorted(app.app.get(NamespaceRegistry).names());
      expect(registered).toEqual(sorted(NAMESPACES));
      expect(
        sorted(
          document
            .channels()
            .all()
            .map((channel) => (channel.address() as string).replace(/^\//, '')),
        ),
      ).toEqual(registered);
    } finally {
      await app.close();
    }
  });

  it.each(NAMESPACES)('/%s: every event, in both directions, is in the code and in the document', (namespace) => {
    const doc = described(document, namespace);
    const code = NAMESPACE_EVENTS[namespace];
    const difference = (a: readonly string[], b: readonly string[]) => a.filter((name) => !b.includes(name));
    expect({
      serverToClient: {
        missingFromDocument: difference(code.serverToClient, doc.serverToClient),
        missingFromCode: difference(doc.serverToClient, code.serverToClient),
      },
      clientToServer: {
        missingFromDocument: difference(code.clientToServer, doc.clientToServer),
        missingFromCode: difference(doc.clientToServer, code.clientToServer),
      },
    }).toEqual({
      serverToClient: { missingFromDocument: [], missingFromCode: [] },
      clientToServer: { missingFromDocument: [], missingFromCode: [] },
    });
    expect(doc.reserved).toEqual(['connect_error']);
    // Every command is answered with its own ack or the one error shape.
    for (const reply of doc.replies) expect(reply).toContain('error ack');
  });

  it.each(GATEWAYS.map((gateway) => [gateway.name, gateway] as const))(
    '%s handles exactly the commands of its event map',
    (_name, gateway) => {
      const { namespace, events } = handledBy(gateway);
      expect(events).toEqual(sorted(NAMESPACE_EVENTS[namespace as NamespaceName].clientToServer));
    },
  );

  it.each(NAMESPACES)('/%s: the publishable events are the publish API catalog, with the same roles and channel kinds', (namespace) => {
    const doc = described(document, namespace);
    const definition = DEFINITIONS[namespace];
    expect(definition.name).toBe(namespace);
    expect(doc.publishable).toEqual(sorted(Object.keys(definition.catalog)));
    expect(doc.roles).toEqual(sorted(definition.roles));
    expect(doc.patterns).toEqual(sorted(CHANNEL_KINDS));
  });

  it('lists the plain transports (SSE, WebSocket) on exactly the namespaces that serve them', () => {
    const servedBy = (server: string) =>
      sorted(
        document
          .channels()
          .all()
          .filter((channel) =>
            channel
              .servers()
              .all()
              .some((candidate) => candidate.id() === server),
          )
          .map((channel) => (channel.address() as string).replace(/^\//, '')),
      );
    const plain = sorted(NAMESPACES.filter((namespace) => DEFINITIONS[namespace].plainTransports));
    expect(plain).toEqual(['availability', 'orders', 'sync']);
    expect(servedBy('sse')).toEqual(plain);
    expect(servedBy('plainWebsocket')).toEqual(plain);
    expect(servedBy('local')).toEqual(sorted(NAMESPACES));
    expect(document.servers().get('sse')?.pathname()).toBe('/v1/sse');
    expect(document.servers().get('plainWebsocket')?.pathname()).toBe('/v1/ws');
  });

  it('lists exactly the error codes of the taxonomy', () => {
    const schema = document.components().schemas().get('ErrorCode');
    expect(sorted((schema?.enum() ?? []) as string[])).toEqual(sorted([...Object.values(ErrorCode)]));
  });
});

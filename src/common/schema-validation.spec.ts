import 'reflect-metadata';
import fc from 'fast-check';
import { plainToInstance } from 'class-transformer';
import { IsString, registerDecorator, validateSync } from 'class-validator';
import { AVAILABILITY_NAMESPACE } from '../availability/availability.definition';
import { ORDERS_NAMESPACE } from '../orders/orders.definition';
import { PublishBatchDto } from '../publish/dto/publish-batch.dto';
import { PublishMessageDto } from '../publish/dto/publish-message.dto';
import { SYNC_NAMESPACE } from '../sync/sync.definition';
import { compileDto } from './schema-validation';

type Dto = new () => object;

/** What class-validator says, as the publish path used it (open DTOs) or as the HTTP pipe did (closed). */
function classValidatorAccepts(dto: Dto, value: unknown, closed: boolean): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const errors = validateSync(plainToInstance(dto, value), {
    forbidUnknownValues: true,
    ...(closed ? { whitelist: true, forbidNonWhitelisted: true } : {}),
  });
  return errors.length === 0;
}

const CATALOG: [string, Dto][] = [ORDERS_NAMESPACE, AVAILABILITY_NAMESPACE, SYNC_NAMESPACE].flatMap((namespace) =>
  Object.entries(namespace.catalog).map(([event, dto]) => [`${namespace.name} ${event}`, dto] as [string, Dto]),
);

/** Values near every rule's edges: lengths 0/1/128/129, integers and not, null, wrong types. */
const edgy = fc.oneof(
  fc.constantFrom('', 'x', 'x'.repeat(128), 'x'.repeat(129), 'SYNC_CONFLICT', 'SYNC_FAILED', 'SYNC_SUCCESS', 'SYNC_PROCESSING', 'o-1'),
  fc.constantFrom(0, 1, -1, 1.5, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, 1e300),
  fc.constantFrom(null, true, false),
  fc.constant([]),
  fc.constant({}),
  fc.string({ maxLength: 3 }),
);
const details = fc.oneof(
  fc.record(
    { conflictingFields: fc.oneof(fc.array(fc.constantFrom('a', 'x'.repeat(257), 3 as unknown as string), { maxLength: 3 }), edgy) },
    { requiredKeys: [] },
  ),
  fc.record({ error: edgy, retryCount: edgy }, { requiredKeys: [] }),
  edgy,
);

describe('compiled DTO validators', () => {
  it.each(CATALOG)('%s: accept and refuse exactly what class-validator does', (_name, dto) => {
    const validate = compileDto(dto);
    const keys = ['orderId', 'status', 'sku', 'quantity', 'threshold', 'type', 'entityId', 'extra'];
    const value = fc.oneof(
      fc.dictionary(fc.constantFrom(...keys), edgy, { maxKeys: 5 }),
      fc.record({ type: edgy, entityId: edgy, details }, { requiredKeys: [] }),
    );
    fc.assert(
      fc.property(value, (data) => {
        expect(validate(data).length === 0).toBe(classValidatorAccepts(dto, data, false));
      }),
      { numRuns: 1500 },
    );
  });

  it('the publish envelope (closed): accepts and refuses exactly what the HTTP validation pipe did', () => {
    const validate = compileDto(PublishMessageDto, { closed: true });
    const field = fc.oneof(
      edgy,
      fc.constantFrom('orders', '/orders', 'Orders', 'order:updated', 'Order', 'acme', 'a b', 'k-1', 'x'.repeat(65)),
    );
    const keys = ['namespace', 'channel', 'event', 'data', 'companyId', 'idempotencyKey', 'correlationId', 'other'];
    // A valid message with one or two fields changed or removed: each rule is met at its edge.
    const base = { namespace: 'orders', channel: 'branch:b1', event: 'order:updated', data: { orderId: 1 }, companyId: 'acme' };
    const message = fc
      .tuple(fc.dictionary(fc.constantFrom(...keys), fc.oneof(field, fc.constant({ orderId: 1 }), fc.constant(undefined)), { maxKeys: 2 }))
      .map(([changes]) => Object.fromEntries(Object.entries({ ...base, ...changes }).filter(([, value]) => value !== undefined)));
    fc.assert(
      fc.property(message, (value) => {
        expect(validate(value).length === 0).toBe(classValidatorAccepts(PublishMessageDto, value, true));
      }),
      { numRuns: 3000 },
    );
  });

  it('names every failing field with its path, as the API always has', () => {
    const validate = compileDto(PublishBatchDto, { closed: true });
    const good = { namespace: 'orders', channel: 'branch:b1', event: 'order:updated', data: {} };
    expect(validate({ messages: [good, { ...good, event: 'Nope' }, { ...good, data: undefined, extra: 1 }] })).toEqual([
      { path: 'messages[1].event', errors: [expect.stringContaining('event')] },
      { path: 'messages[2].data', errors: [expect.stringContaining('required')] },
      { path: 'messages[2].extra', errors: ['property extra should not exist'] },
    ]);
    expect(validate({ messages: [] }).map((error) => error.path)).toEqual(['messages']);
    expect(compileDto(ORDERS_NAMESPACE.catalog['order:updated'])({}, 'messages[4].data')).toEqual([
      { path: 'messages[4].data.orderId', errors: ['orderId is required'] },
    ]);
  });

  it('refuses at boot to compile a DTO whose custom rule has no schema, rather than drop the rule', () => {
    class Odd {
      @IsString()
      @((target: object, propertyName: string | symbol) =>
        registerDecorator({
          name: 'isOdd',
          target: target.constructor,
          propertyName: String(propertyName),
          validator: { validate: () => true },
        }))
      value!: string;
    }
    expect(() => compileDto(Odd)).toThrow(/Odd\.value uses @isOdd/);
  });
});

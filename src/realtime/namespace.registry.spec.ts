import { AVAILABILITY_NAMESPACE } from '../availability/availability.definition';
import { SYNC_NAMESPACE } from '../sync/sync.definition';
import { snapshotKeyOf, type SnapshotRule } from './namespace.registry';

describe('snapshotKeyOf', () => {
  const availability = AVAILABILITY_NAMESPACE.snapshot as SnapshotRule;
  const sync = SYNC_NAMESPACE.snapshot as SnapshotRule;

  it('keys /sync by entityId alone: any newer status of an entity replaces the last', () => {
    expect(snapshotKeyOf(sync, 'sync:status', { entityId: 'e1', type: 'SYNC_SUCCESS' })).toBe('e1');
    expect(snapshotKeyOf(sync, 'sync:status', { type: 'SYNC_SUCCESS' })).toBeUndefined();
  });

  it("keys /availability by facet and SKU: a SKU's stock events share one entry, its availability events another", () => {
    const stock = snapshotKeyOf(availability, 'stock:changed', { sku: 'A', quantity: 1 });
    expect(snapshotKeyOf(availability, 'stock:low', { sku: 'A', quantity: 1, threshold: 2 })).toBe(stock);
    const flag = snapshotKeyOf(availability, 'item:unavailable', { sku: 'A' });
    expect(snapshotKeyOf(availability, 'item:available', { sku: 'A' })).toBe(flag);
    expect(flag).not.toBe(stock);
    expect(snapshotKeyOf(availability, 'stock:changed', { sku: 'B', quantity: 1 })).not.toBe(stock);
  });

  it('keeps a faceted key distinct from a SKU that spells one', () => {
    expect(snapshotKeyOf(availability, 'stock:changed', { sku: '["stock","A"]' })).not.toBe(
      snapshotKeyOf(availability, 'stock:changed', { sku: 'A' }),
    );
  });
});

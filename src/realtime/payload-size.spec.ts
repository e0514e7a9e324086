import { exceedsBudget } from './payload-size';

describe('exceedsBudget', () => {
  it('stays under budget for small payloads and goes over for large strings, arrays and buffers', () => {
    expect(exceedsBudget([{ channel: 'company:acme' }], 100)).toBe(false);
    expect(exceedsBudget([{ pad: 'x'.repeat(200) }], 100)).toBe(true);
    expect(exceedsBudget([Array.from({ length: 200 }, () => 1)], 100)).toBe(true);
    expect(exceedsBudget([Buffer.alloc(200)], 100)).toBe(true);
    expect(exceedsBudget([{ deep: { deeper: { key: 'x'.repeat(120) } } }], 100)).toBe(true);
  });
});

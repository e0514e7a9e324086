import { newEpoch, newEpochs } from './epoch';

describe('epochs', () => {
  it('are 12 JSON-safe characters, all distinct, whether drawn one by one or together', () => {
    const drawn = [...newEpochs(500), ...Array.from({ length: 500 }, () => newEpoch())];
    for (const epoch of drawn) expect(epoch).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(new Set(drawn).size).toBe(drawn.length);
  });
});

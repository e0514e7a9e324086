import { namespaceOf } from './connection-monitor.service';

describe('namespaceOf (encoded Socket.IO packets)', () => {
  it.each([
    ['2["event",1]', '/'],
    ['2/orders,["event",1]', '/orders'],
    ['21/orders,["event"]', '/'],
    ['0/printing-ws,{"token":"x"}', '/printing-ws'],
    ['51-/printing-ws,["e",{"_placeholder":true,"num":0}]', '/printing-ws'],
    ['5-["e"]', '/'],
    ['2/orders', '/orders'],
    ['', '/'],
  ])('%s → %s', (encoded, namespace) => {
    expect(namespaceOf(encoded)).toBe(namespace);
  });
});

// jsdom for React Testing Library, with Node's own fetch: the suites publish through the real
// HTTP API, and jsdom has no fetch. Node's export conditions, not the browser's: the client's
// dependencies (socket.io-client) then load their Node builds, which jest can require.
const { TestEnvironment } = require('jest-environment-jsdom');

module.exports = class JsdomWithFetch extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of ['fetch', 'Request', 'Response', 'Headers', 'TextEncoder', 'TextDecoder', 'structuredClone']) {
      this.global[name] = globalThis[name];
    }
  }

  exportConditions() {
    return ['node', 'require', 'default'];
  }
};

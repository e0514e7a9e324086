import type { AppConfig } from '../config';
import { ORDERS_NAMESPACE } from '../orders/orders.definition';
import { PRINTING_NAMESPACE } from '../printing/printing.definition';
import { sessionLimitsOf } from './session-limits';

const config = {
  limits: {
    maxMessageBytes: 16_384,
    maxFrameBytes: 65_536,
    printMaxFrameBytes: 1_048_576,
    maxSubscriptionsPerSocket: 100,
    ratePerSocket: 50,
    rateBurst: 100,
    rateDisconnectSeconds: 10,
    slowConsumerBytes: 4_194_304,
  },
  jwt: { graceSeconds: 30 },
} as unknown as AppConfig;

describe('sessionLimitsOf', () => {
  it("tells each namespace's clients its own frame limit, from its definition, and the shared limits", () => {
    expect(sessionLimitsOf(ORDERS_NAMESPACE, config)).toEqual({
      maxPayloadBytes: 16_384,
      maxFrameBytes: 65_536,
      maxSubscriptions: 100,
      messagesPerSecond: 50,
      burst: 100,
      rateLimitDisconnectSeconds: 10,
      maxBufferedBytes: 4_194_304,
      idleTimeoutSeconds: expect.any(Number),
      tokenGraceSeconds: 30,
    });
    expect(sessionLimitsOf(PRINTING_NAMESPACE, config).maxFrameBytes).toBe(1_048_576);
  });
});

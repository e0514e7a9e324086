import pino from 'pino';
import { isoTimeOncePerMs } from './pino';

describe('isoTimeOncePerMs', () => {
  it("writes the line's time as pino's isoTime does, and follows the clock", () => {
    const now = jest.spyOn(Date, 'now');
    try {
      now.mockReturnValue(1_764_670_000_123);
      const first = isoTimeOncePerMs();
      expect(first).toBe(',"time":"2025-12-02T10:06:40.123Z"');
      expect(JSON.parse(`{${first.slice(1)}}`)).toEqual({ time: new Date(1_764_670_000_123).toISOString() });
      now.mockReturnValue(1_764_670_000_124);
      expect(isoTimeOncePerMs()).toBe(',"time":"2025-12-02T10:06:40.124Z"');
    } finally {
      now.mockRestore();
    }
    // Same shape as pino's own (which formats on every call).
    expect(isoTimeOncePerMs().replace(/".*Z"/, '')).toBe(pino.stdTimeFunctions.isoTime().replace(/".*Z"/, ''));
  });
});

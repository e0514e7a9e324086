import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { bufferedStdout, isoTimeOncePerMs } from './pino';

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

describe('bufferedStdout', () => {
  it('arms no timer until a line waits, then one flush for the lines that wait', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-log-'));
    const file = join(dir, 'out.log');
    const timeouts = jest.spyOn(globalThis, 'setTimeout');
    const intervals = jest.spyOn(globalThis, 'setInterval');
    // The flush timers (200 ms), not the test's own polling.
    const flushes = (): number => timeouts.mock.calls.filter(([, ms]) => ms === 200).length;
    try {
      const destination = bufferedStdout(file);
      await new Promise((resolve) => destination.once('ready', resolve));
      expect(flushes()).toBe(0);
      destination.write('{"msg":"one"}\n');
      destination.write('{"msg":"two"}\n');
      expect(flushes()).toBe(1);
      // Below the 4 KB threshold, so only the timer sends them.
      for (let polls = 0; polls < 250 && readFileSync(file, 'utf8').split('\n').length < 3; polls++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(readFileSync(file, 'utf8')).toBe('{"msg":"one"}\n{"msg":"two"}\n');
      destination.write('{"msg":"three"}\n');
      expect(flushes()).toBe(2);
      expect(intervals).not.toHaveBeenCalled();
      const closed = new Promise((resolve) => destination.once('close', resolve));
      destination.end();
      await closed;
      expect(readFileSync(file, 'utf8')).toBe('{"msg":"one"}\n{"msg":"two"}\n{"msg":"three"}\n');
    } finally {
      timeouts.mockRestore();
      intervals.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

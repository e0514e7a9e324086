import type { AppConfig } from '../config';
import { DrainService } from './drain.service';
import { DrainSteps } from './drain-steps';

const config = { process: { drainDeadlineSeconds: 10 } } as AppConfig;

describe('DrainService', () => {
  it('runs the registered steps phase by phase, whatever order modules registered them in, and reports each', async () => {
    const steps = new DrainSteps();
    const ran: string[] = [];
    const step = (phase: Parameters<DrainSteps['register']>[0]['phase'], name: string, result: number | boolean) =>
      steps.register({
        phase,
        name,
        run: () => {
          ran.push(name);
          return result;
        },
      });
    step('flush', 'queueFlushed', true);
    step('hand-over', 'requeuedPrintJobs', 3);
    step('disconnect', 'sockets', 12);
    step('stop-intake', 'printDispatchStopped', true);
    const drain = new DrainService(steps, config);
    expect(drain.draining).toBe(false);
    const report = await drain.drain();
    expect(ran).toEqual(['printDispatchStopped', 'sockets', 'requeuedPrintJobs', 'queueFlushed']);
    expect(report).toEqual({
      printDispatchStopped: true,
      sockets: 12,
      requeuedPrintJobs: 3,
      queueFlushed: true,
      tookMs: expect.any(Number),
    });
    expect(drain.draining).toBe(true);
  });

  it('goes on past a failing step, reporting it false, and gives every step the same deadline', async () => {
    const steps = new DrainSteps();
    const deadlines: number[] = [];
    steps.register({
      phase: 'hand-over',
      name: 'requeuedPrintJobs',
      run: (deadline) => {
        deadlines.push(deadline);
        return Promise.reject(new Error('Redis is gone'));
      },
    });
    steps.register({
      phase: 'flush',
      name: 'queueFlushed',
      run: (deadline) => {
        deadlines.push(deadline);
        return true;
      },
    });
    const before = Date.now();
    const report = await new DrainService(steps, config).drain();
    expect(report).toMatchObject({ requeuedPrintJobs: false, queueFlushed: true });
    expect(new Set(deadlines).size).toBe(1);
    expect(deadlines[0]).toBeGreaterThanOrEqual(before + 10_000);
  });
});

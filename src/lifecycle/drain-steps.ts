import { Injectable } from '@nestjs/common';

/**
 * The phases of a drain, in the order they run:
 * - `stop-intake`: take no new work (print jobs stop going to agents);
 * - `disconnect`: tell clients and close them, within half the remaining budget;
 * - `hand-over`: give what this process still holds back to the others (unacknowledged print jobs);
 * - `flush`: write out what waits for storage (the outage queue).
 */
export const DRAIN_PHASES = ['stop-intake', 'disconnect', 'hand-over', 'flush'] as const;
export type DrainPhase = (typeof DRAIN_PHASES)[number];

export interface DrainStep {
  readonly phase: DrainPhase;
  /** The drain report's key for what `run` returns (`sockets`, `requeuedPrintJobs` …). */
  readonly name: string;
  /** `deadline`: epoch ms by which the whole drain must be done. A failure is logged; the drain goes on. */
  run(deadline: number): Promise<number | boolean> | number | boolean;
}

/**
 * Where modules put their part of the shutdown sequence. The drain itself (DrainService) knows
 * the phases, not the modules: printing, realtime and the bus register here, so lifecycle/ does
 * not import them, and a new module with something to hand over adds a step, not an import.
 */
@Injectable()
export class DrainSteps {
  private readonly steps: DrainStep[] = [];

  register(step: DrainStep): void {
    this.steps.push(step);
  }

  /** A phase's steps, in registration order. */
  of(phase: DrainPhase): readonly DrainStep[] {
    return this.steps.filter((step) => step.phase === phase);
  }
}

import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DrainSteps } from '../lifecycle/drain-steps';
import { EventBus } from './event-bus.service';

/** The drain's `flush` step: the outage queue is written out with what is left of the budget (1 s kept for closing). */
@Injectable()
export class OutageQueueDrain implements OnModuleInit {
  constructor(
    private readonly bus: EventBus,
    private readonly steps: DrainSteps,
  ) {}

  onModuleInit(): void {
    this.steps.register({
      phase: 'flush',
      name: 'queueFlushed',
      run: (deadline) => this.bus.drainOutageQueue(Math.max(0, deadline - Date.now() - 1000)),
    });
  }
}

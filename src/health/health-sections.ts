import { Injectable } from '@nestjs/common';

/** What a module adds to /health/websocket: a JSON-able value, read on each check. */
export type HealthSection = () => unknown;

/**
 * Sections that feature modules add to /health/websocket (printing adds its agents and offline
 * branches). Registered by the modules, so health/ does not import them.
 */
@Injectable()
export class HealthSections {
  private readonly sections = new Map<string, HealthSection>();

  add(key: string, read: HealthSection): void {
    if (this.sections.has(key)) throw new Error(`health section ${key} is registered twice`);
    this.sections.set(key, read);
  }

  /** Every section's current value, by key; a section that fails reads as its error message. */
  async read(): Promise<Record<string, unknown>> {
    const values: Record<string, unknown> = {};
    for (const [key, read] of this.sections) {
      try {
        values[key] = await read();
      } catch (error) {
        values[key] = `unavailable: ${(error as Error).message}`;
      }
    }
    return values;
  }
}

import { registerErrorCodes } from '../common/app.errors';

/** Error codes specific to /printing-ws and /v1/print-jobs, besides the shared taxonomy. */
export const PrintingError = {
  /** No job with that jobId in the caller's company (and, for agents, branch). */
  PRINT_JOB_NOT_FOUND: 'PRINT_JOB_NOT_FOUND',
  /** The job already reached a different final status, or was acknowledged and cannot be cancelled. */
  PRINT_JOB_CONFLICT: 'PRINT_JOB_CONFLICT',
  /** printers:status for a printer this agent has not registered. */
  PRINTER_UNKNOWN: 'PRINTER_UNKNOWN',
} as const;
export type PrintingError = (typeof PrintingError)[keyof typeof PrintingError];

registerErrorCodes({ PRINT_JOB_NOT_FOUND: 404, PRINT_JOB_CONFLICT: 409, PRINTER_UNKNOWN: 404 });

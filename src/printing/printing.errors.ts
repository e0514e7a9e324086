import { registerErrorCodes } from '../common/app.errors';

/** Error codes specific to /printing-ws and /v1/print-jobs, besides the shared taxonomy. */
export const PrintingError = {
  /** No job with that jobId in the caller's company (and, for agents, branch). */
  PRINT_JOB_NOT_FOUND: 'PRINT_JOB_NOT_FOUND',
  /**
   * The job already reached a different final status, was acknowledged and cannot be cancelled, is
   * still queued and cannot be resent, or a resend's jobId is taken by another job.
   */
  PRINT_JOB_CONFLICT: 'PRINT_JOB_CONFLICT',
  /** A resend of a job whose document is no longer kept (PRINT_DOCUMENT_RETENTION_SECONDS after it left the queue). */
  PRINT_DOCUMENT_GONE: 'PRINT_DOCUMENT_GONE',
  /** printers:status for a printer this agent has not registered. */
  PRINTER_UNKNOWN: 'PRINTER_UNKNOWN',
} as const;
export type PrintingError = (typeof PrintingError)[keyof typeof PrintingError];

registerErrorCodes({ PRINT_JOB_NOT_FOUND: 404, PRINT_JOB_CONFLICT: 409, PRINT_DOCUMENT_GONE: 410, PRINTER_UNKNOWN: 404 });

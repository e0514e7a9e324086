import type { Ack, BaseClientToServerEvents, BaseServerToClientEvents, Envelope, OkAck } from '../realtime/realtime.events';
import type { JobStatus, PrintDocument } from './print-job.model';

export const PrintingEvent = {
  REGISTER: 'printers:register',
  PRINTER_STATUS: 'printers:status',
  JOB: 'print:job',
  JOB_STATUS: 'print:job-status',
  JOB_CANCELLED: 'print:job-cancelled',
  /** To dashboards (/orders and /printing-ws, channel branch:<id>). */
  JOB_UPDATED: 'print-job:updated',
  PRINTERS_UPDATED: 'printers:updated',
  AGENT_OFFLINE: 'printing:agent-offline',
  AGENT_ONLINE: 'printing:agent-online',
} as const;

export const PRINTER_KINDS = ['receipt', 'kitchen', 'label', 'other'] as const;
export const PRINTER_STATUSES = ['ready', 'offline', 'error'] as const;
export type PrinterKind = (typeof PRINTER_KINDS)[number];
export type PrinterStatus = (typeof PRINTER_STATUSES)[number];

export interface Printer {
  readonly id: string;
  readonly name: string;
  readonly kind: PrinterKind;
  readonly status: PrinterStatus;
  readonly capabilities?: Record<string, unknown>;
}

/** Server → agent, with an ack callback. The agent answers `{ accepted: true }` (or `{ accepted: false, reason }`). */
export interface PrintJobPayload {
  readonly jobId: string;
  readonly printerId: string | null;
  readonly document: PrintDocument;
  readonly copies: number;
  readonly correlationId: string | null;
  readonly orderId: string | null;
  /** 1 for the first dispatch; a repeat means the previous attempt went unacknowledged. */
  readonly attempt: number;
  /** Set when an admin or a service resent an earlier job: its jobId (an agent may print "REPRINT"). */
  readonly resentFrom: string | null;
}

export interface PrintJobAnswer {
  readonly accepted: boolean;
  readonly reason?: string;
}

/** Server → agent: stop, this job was cancelled or expired before it was acknowledged. */
export interface PrintJobCancelledPayload {
  readonly jobId: string;
  readonly reason: 'cancelled' | 'expired';
}

/** To /orders and /printing-ws `branch:<id>` on every lifecycle change. */
export interface PrintJobUpdatedData {
  readonly jobId: string;
  readonly status: JobStatus;
  readonly orderId?: string;
  readonly correlationId: string | null;
  readonly printerId: string | null;
  readonly at: number;
}

/** To /orders `company:<id>` (and /printing-ws `branch:<id>`). */
export interface AgentAlertData {
  readonly branchId: string;
  readonly agentId: string;
  /** Offline: since when the branch has had no agent. Online: when an agent came back. */
  readonly since: number;
}

/** To /printing-ws `branch:<id>`: an agent's printers after register, status change or disconnect. */
export interface PrintersUpdatedData {
  readonly agentId: string;
  readonly connected: boolean;
  readonly printers: readonly Printer[];
}

export interface RegisterAck extends OkAck {
  /** Jobs of the branch waiting to be printed; they follow as print:job, in queue order. */
  readonly pending: number;
}

export type PrintingClientToServerEvents = BaseClientToServerEvents & {
  'printers:register'(request: { agentId?: string; printers: Printer[] }, ack: (response: Ack<RegisterAck>) => void): void;
  'printers:status'(request: { printerId: string; status: PrinterStatus }, ack: (response: Ack<OkAck>) => void): void;
  'print:job-status'(
    request: { jobId: string; status: 'printed' | 'failed'; error?: string },
    ack: (response: Ack<OkAck & { status: JobStatus }>) => void,
  ): void;
};

/** What dashboards receive about printing, on /orders and on /printing-ws (as admins). */
export interface PrintingDashboardEvents {
  'print-job:updated'(envelope: Envelope<PrintJobUpdatedData>): void;
  'printing:agent-offline'(envelope: Envelope<AgentAlertData>): void;
  'printing:agent-online'(envelope: Envelope<AgentAlertData>): void;
}

export type PrintingServerToClientEvents = BaseServerToClientEvents &
  PrintingDashboardEvents & {
    'print:job'(job: PrintJobPayload, ack: (answer: PrintJobAnswer) => void): void;
    'print:job-cancelled'(payload: PrintJobCancelledPayload): void;
    'printers:updated'(envelope: Envelope<PrintersUpdatedData>): void;
  };

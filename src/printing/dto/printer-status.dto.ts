import { IsIn, IsString, Matches } from 'class-validator';
import { PRINTER_STATUSES, type PrinterStatus } from '../printing.events';
import { JOB_ID_PATTERN } from './create-print-job.dto';

export class PrinterStatusDto {
  @IsString()
  @Matches(JOB_ID_PATTERN)
  printerId!: string;

  @IsIn(PRINTER_STATUSES)
  status!: PrinterStatus;
}

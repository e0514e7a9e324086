import { IsIn } from 'class-validator';
import { PRINTER_STATUSES, type PrinterStatus } from '../printing.events';
import { IsKey } from '../../common/validators';

export class PrinterStatusDto {
  @IsKey()
  printerId!: string;

  @IsIn(PRINTER_STATUSES)
  status!: PrinterStatus;
}

import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { PRINTER_KINDS, PRINTER_STATUSES, type PrinterKind, type PrinterStatus } from '../printing.events';
import { JOB_ID_PATTERN } from './create-print-job.dto';

export const MAX_PRINTERS = 50;

export class PrinterDto {
  @IsString()
  @Matches(JOB_ID_PATTERN, { message: 'id must be 1-128 characters of [A-Za-z0-9_.:-]' })
  id!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(128)
  name!: string;

  @IsIn(PRINTER_KINDS)
  kind!: PrinterKind;

  @IsIn(PRINTER_STATUSES)
  status!: PrinterStatus;

  @IsOptional()
  @IsObject()
  capabilities?: Record<string, unknown>;
}

export class RegisterPrintersDto {
  @IsOptional()
  @IsString()
  @Matches(JOB_ID_PATTERN, { message: 'agentId must be 1-128 characters of [A-Za-z0-9_.:-]' })
  agentId?: string;

  @IsArray()
  @ArrayMaxSize(MAX_PRINTERS)
  @ValidateNested({ each: true })
  @Type(() => PrinterDto)
  printers!: PrinterDto[];
}

import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsObject, IsOptional, IsString, MaxLength, MinLength, ValidateNested } from 'class-validator';
import { PRINTER_KINDS, PRINTER_STATUSES, type PrinterKind, type PrinterStatus } from '../printing.events';
import { IsKey } from '../../common/validators';

export const MAX_PRINTERS = 50;

export class PrinterDto {
  @IsKey()
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
  @IsKey()
  agentId?: string;

  @IsArray()
  @ArrayMaxSize(MAX_PRINTERS)
  @ValidateNested({ each: true })
  @Type(() => PrinterDto)
  printers!: PrinterDto[];
}

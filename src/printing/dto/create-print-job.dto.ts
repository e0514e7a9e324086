import { Type } from 'class-transformer';
import { IsDefined, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { IsId, IsIdentifier, IsKey } from '../../common/validators';
import { CONTENT_TYPES, type ContentType } from '../print-job.model';

export class PrintDocumentDto {
  @IsIn(CONTENT_TYPES)
  contentType!: ContentType;

  /** Base64 for application/vnd.escpos and application/pdf; text for text/plain. Size is checked decoded. */
  @IsString()
  data!: string;
}

export class CreatePrintJobDto {
  @IsKey()
  jobId!: string;

  @IsId()
  branchId!: string;

  @IsOptional()
  @IsKey()
  printerId?: string;

  @IsDefined()
  @ValidateNested()
  @Type(() => PrintDocumentDto)
  document!: PrintDocumentDto;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10)
  copies?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(30 * 86400)
  ttlSeconds?: number;

  @IsOptional()
  @IsIdentifier()
  orderId?: string | number;

  @IsOptional()
  @IsString()
  @MaxLength(128)
  correlationId?: string;

  /** Only platform tokens (companyId "*") need it. */
  @IsOptional()
  @IsId()
  companyId?: string;
}

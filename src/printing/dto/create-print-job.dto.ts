import { Type } from 'class-transformer';
import { IsDefined, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { IsIdentifier } from '../../common/validators';
import { CONTENT_TYPES, type ContentType } from '../print-job.model';

/** jobIds and printer ids: up to 128 characters of [A-Za-z0-9_.:-]. */
export const JOB_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

export class PrintDocumentDto {
  @IsIn(CONTENT_TYPES)
  contentType!: ContentType;

  /** Base64 for application/vnd.escpos and application/pdf; text for text/plain. Size is checked decoded. */
  @IsString()
  data!: string;
}

export class CreatePrintJobDto {
  @IsString()
  @Matches(JOB_ID_PATTERN, { message: 'jobId must be 1-128 characters of [A-Za-z0-9_.:-]' })
  jobId!: string;

  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'branchId must match [A-Za-z0-9_-]{1,64}' })
  branchId!: string;

  @IsOptional()
  @IsString()
  @Matches(JOB_ID_PATTERN, { message: 'printerId must be 1-128 characters of [A-Za-z0-9_.:-]' })
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
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'companyId must match [A-Za-z0-9_-]{1,64}' })
  companyId?: string;
}

import { IsOptional } from 'class-validator';
import { IsId, IsKey } from '../../common/validators';

export class JobParamsDto {
  @IsKey()
  jobId!: string;
}

/** `?companyId=` for platform tokens. */
export class CompanyQueryDto {
  @IsOptional()
  @IsId()
  companyId?: string;
}

/** `POST /v1/print-jobs/:jobId/resend`: all optional. */
export class ResendPrintJobDto {
  /** The copy's jobId; default `<jobId>.r<n>`. Give one to make a retried request create one copy only. */
  @IsOptional()
  @IsKey()
  newJobId?: string;

  /** Only platform tokens (companyId "*") need it. */
  @IsOptional()
  @IsId()
  companyId?: string;
}

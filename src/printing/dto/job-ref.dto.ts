import { IsOptional, IsString, Matches } from 'class-validator';
import { JOB_ID_PATTERN } from './create-print-job.dto';

export class JobParamsDto {
  @IsString()
  @Matches(JOB_ID_PATTERN, { message: 'jobId must be 1-128 characters of [A-Za-z0-9_.:-]' })
  jobId!: string;
}

/** `?companyId=` for platform tokens. */
export class CompanyQueryDto {
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'companyId must match [A-Za-z0-9_-]{1,64}' })
  companyId?: string;
}

/** `POST /v1/print-jobs/:jobId/resend`: all optional. */
export class ResendPrintJobDto {
  /** The copy's jobId; default `<jobId>.r<n>`. Give one to make a retried request create one copy only. */
  @IsOptional()
  @IsString()
  @Matches(JOB_ID_PATTERN, { message: 'newJobId must be 1-128 characters of [A-Za-z0-9_.:-]' })
  newJobId?: string;

  /** Only platform tokens (companyId "*") need it. */
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'companyId must match [A-Za-z0-9_-]{1,64}' })
  companyId?: string;
}

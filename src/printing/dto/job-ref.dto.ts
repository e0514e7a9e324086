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

import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { JOB_ID_PATTERN } from './create-print-job.dto';

export class JobStatusDto {
  @IsString()
  @Matches(JOB_ID_PATTERN)
  jobId!: string;

  @IsIn(['printed', 'failed'])
  status!: 'printed' | 'failed';

  @IsOptional()
  @IsString()
  @MaxLength(1000)
  error?: string;
}

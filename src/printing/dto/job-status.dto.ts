import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsKey } from '../../common/validators';

export class JobStatusDto {
  @IsKey()
  jobId!: string;

  @IsIn(['printed', 'failed'])
  status!: 'printed' | 'failed';

  @IsOptional()
  @IsString()
  @MaxLength(1000)
  error?: string;
}

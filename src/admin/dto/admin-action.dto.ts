import { IsString, MaxLength, MinLength } from 'class-validator';
import { IsKey } from '../../common/validators';

/** `admin:revoke-user`: every token of this user of the admin's company. */
export class AdminUserDto {
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  userId!: string;
}

/** `admin:cancel-print-job` and `admin:resend-print-job`: a job of the admin's company. */
export class AdminJobDto {
  @IsKey()
  jobId!: string;
}

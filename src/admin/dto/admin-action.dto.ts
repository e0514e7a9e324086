import { IsString, Matches, MaxLength, MinLength } from 'class-validator';

/** `admin:revoke-user`: every token of this user of the admin's company. */
export class AdminUserDto {
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  userId!: string;
}

/** `admin:cancel-print-job` and `admin:resend-print-job`: a job of the admin's company. */
export class AdminJobDto {
  @IsString()
  @Matches(/^[A-Za-z0-9_.:-]{1,128}$/, { message: 'jobId must match [A-Za-z0-9_.:-]{1,128}' })
  jobId!: string;
}

import { IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';

export class RevokeDto {
  /** A company id, or `*` for platform tokens (platform admins only). */
  @IsString()
  @Matches(/^(\*|[A-Za-z0-9_-]{1,64})$/, { message: 'companyId must be "*" or match [A-Za-z0-9_-]{1,64}' })
  companyId!: string;

  /** Every token of this user (issued before now); without it, every token of the company. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  userId?: string;

  /** One token, by its `jti`. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  jti?: string;
}

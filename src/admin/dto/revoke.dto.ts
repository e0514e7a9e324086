import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { IsId } from '../../common/validators';

export class RevokeDto {
  /** A company id, or `*` for platform tokens (platform admins only). */
  @IsId({ platform: true })
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

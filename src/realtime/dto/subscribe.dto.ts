import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';

export class PositionDto {
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/)
  epoch!: string;

  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  seq!: number;
}

export class SubscribeDto {
  // The full grammar is checked by parseChannel, which gives a clearer message.
  @IsString()
  @MaxLength(128)
  channel!: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => PositionDto)
  since?: PositionDto;
}

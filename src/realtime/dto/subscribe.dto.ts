import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { IsId } from '../../common/validators';

export class PositionDto {
  @IsId()
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

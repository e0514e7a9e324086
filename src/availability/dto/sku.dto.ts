import { IsString, MaxLength, MinLength } from 'class-validator';

/** `data` of item:unavailable and item:available. Other fields pass through. */
export class SkuDto {
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  sku!: string;
}

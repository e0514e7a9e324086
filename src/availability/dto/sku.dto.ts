import { IsString, MaxLength, MinLength } from 'class-validator';
import type { SkuRef } from '../availability.events';

/** `data` of item:unavailable and item:available. Other fields pass through. */
export class SkuDto implements SkuRef {
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  sku!: string;
}

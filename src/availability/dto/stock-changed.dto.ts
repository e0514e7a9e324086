import { IsNumber } from 'class-validator';
import type { StockLevel } from '../availability.events';
import { SkuDto } from './sku.dto';

/** `data` of stock:changed. Other fields pass through. */
export class StockChangedDto extends SkuDto implements StockLevel {
  @IsNumber({ allowNaN: false, allowInfinity: false })
  quantity!: number;
}

import { IsNumber } from 'class-validator';
import type { StockLowLevel } from '../availability.events';
import { StockChangedDto } from './stock-changed.dto';

/** `data` of stock:low. Other fields pass through. */
export class StockLowDto extends StockChangedDto implements StockLowLevel {
  @IsNumber({ allowNaN: false, allowInfinity: false })
  threshold!: number;
}

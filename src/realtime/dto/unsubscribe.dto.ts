import { IsString, MaxLength } from 'class-validator';

export class UnsubscribeDto {
  @IsString()
  @MaxLength(128)
  channel!: string;
}

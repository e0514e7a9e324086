import { IsString, MaxLength } from 'class-validator';

export class PresenceListDto {
  @IsString()
  @MaxLength(128)
  channel!: string;
}

import { IsIn, IsOptional, IsString, MaxLength, registerDecorator } from 'class-validator';
import { PRESENCE_STATUSES, type PresenceMeta, type PresenceStatus } from '../presence.store';

export const MAX_META_BYTES = 1024;

/** A flat object (string, number, boolean or null values) of at most 1 KB as JSON. */
function IsFlatMeta(): PropertyDecorator {
  return (target, propertyName) => {
    registerDecorator({
      name: 'isFlatMeta',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: `meta must be a flat object of strings, numbers, booleans or null, at most ${MAX_META_BYTES} bytes` },
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Object.values(value).every((item) => item === null || ['string', 'number', 'boolean'].includes(typeof item)) &&
          Buffer.byteLength(JSON.stringify(value)) <= MAX_META_BYTES,
      },
    });
  };
}

export class PresenceUpdateDto {
  @IsIn(PRESENCE_STATUSES)
  status!: PresenceStatus;

  /** What the user is looking at; null clears it, omitted keeps it. */
  @IsOptional()
  @IsString()
  @MaxLength(256)
  view?: string | null;

  /** Free-form, flat; null clears it, omitted keeps it. */
  @IsOptional()
  @IsFlatMeta()
  meta?: PresenceMeta | null;
}

import { IsIn, registerDecorator, type ValidationArguments } from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';
import { IsIdentifier } from '../../common/validators';
import type { SyncStatus, SyncType } from '../sync.events';

// A record, so that a type added to SyncType without being listed here fails to compile.
const SYNC_TYPE_SET: Readonly<Record<SyncType, true>> = {
  SYNC_PROCESSING: true,
  SYNC_SUCCESS: true,
  SYNC_CONFLICT: true,
  SYNC_FAILED: true,
};
export const SYNC_TYPES = Object.keys(SYNC_TYPE_SET) as SyncType[];

/** What `details` must hold for a type, or undefined when any (or no) details are fine. */
function detailsProblem(type: unknown, details: unknown): string | undefined {
  if (type !== 'SYNC_CONFLICT' && type !== 'SYNC_FAILED') return undefined;
  if (typeof details !== 'object' || details === null || Array.isArray(details)) return `details must be an object for ${type}`;
  const record = details as Record<string, unknown>;
  if (type === 'SYNC_CONFLICT') {
    const fields = record.conflictingFields;
    const ok = Array.isArray(fields) && fields.length <= 1000 && fields.every((field) => typeof field === 'string' && field.length <= 256);
    return ok ? undefined : 'details.conflictingFields must be an array of field names for SYNC_CONFLICT';
  }
  if (typeof record.error !== 'string' || record.error.length === 0) return 'details.error must be a non-empty string for SYNC_FAILED';
  if (!Number.isInteger(record.retryCount) || (record.retryCount as number) < 0) {
    return 'details.retryCount must be a non-negative integer for SYNC_FAILED';
  }
  return undefined;
}

function HasDetailsForType(): PropertyDecorator {
  return (target, propertyName) => {
    registerDecorator({
      name: 'hasDetailsForType',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: (args: ValidationArguments) => detailsProblem((args.object as SyncStatusDto).type, args.value) ?? '' },
      validator: { validate: (value: unknown, args: ValidationArguments) => !detailsProblem((args.object as SyncStatusDto).type, value) },
    });
  };
}

/** detailsProblem as JSON Schema, for the compiled publish validator (the parity spec keeps them equal). */
const DETAILS_FOR_TYPE = {
  allOf: [
    {
      if: { properties: { type: { const: 'SYNC_CONFLICT' } }, required: ['type'] },
      then: {
        required: ['details'],
        properties: {
          details: {
            type: 'object',
            required: ['conflictingFields'],
            properties: { conflictingFields: { type: 'array', maxItems: 1000, items: { type: 'string', maxLength: 256 } } },
          },
        },
      },
    },
    {
      if: { properties: { type: { const: 'SYNC_FAILED' } }, required: ['type'] },
      then: {
        required: ['details'],
        properties: {
          details: {
            type: 'object',
            required: ['error', 'retryCount'],
            properties: { error: { type: 'string', minLength: 1 }, retryCount: { type: 'integer', minimum: 0 } },
          },
        },
      },
    },
  ],
};

/** `data` of sync:status. Other fields pass through. */
@JSONSchema(DETAILS_FOR_TYPE)
export class SyncStatusDto implements SyncStatus {
  @IsIn(SYNC_TYPES)
  type!: SyncType;

  @IsIdentifier()
  entityId!: string | number;

  /** SYNC_CONFLICT: `{ conflictingFields }`; SYNC_FAILED: `{ error, retryCount }`. */
  @HasDetailsForType()
  details?: Record<string, unknown>;
}

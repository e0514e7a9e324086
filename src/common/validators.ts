import { IsString, Matches, registerDecorator, type ValidationArguments, type ValidationOptions } from 'class-validator';
import { ID_PATTERN, KEY_PATTERN } from './ids';

/** Built from class-validator's own decorators, so the JSON Schema (publish fast path, OpenAPI) keeps the pattern. */
function stringMatching(pattern: RegExp, rule: string, options: ValidationOptions): PropertyDecorator {
  const message = (args: ValidationArguments) => `${args.property} ${rule}`;
  const decorators = [IsString(options), Matches(pattern, { message, ...options })];
  return (target, propertyName) => {
    for (const decorate of decorators) decorate(target, propertyName);
  };
}

const PLATFORM_ID_PATTERN = /^(\*|[A-Za-z0-9_-]{1,64})$/;

/**
 * A company, branch or user id (common/ids.ts ID_PATTERN). `{ platform: true }` also admits `*`,
 * every company, where a platform token may name it.
 */
export function IsId(options: ValidationOptions & { platform?: boolean } = {}): PropertyDecorator {
  const { platform, ...rest } = options;
  return platform
    ? stringMatching(PLATFORM_ID_PATTERN, 'must be "*" or match [A-Za-z0-9_-]{1,64}', rest)
    : stringMatching(ID_PATTERN, 'must match [A-Za-z0-9_-]{1,64}', rest);
}

/** A jobId, printer id or agent id (common/ids.ts KEY_PATTERN). */
export function IsKey(options: ValidationOptions = {}): PropertyDecorator {
  return stringMatching(KEY_PATTERN, 'must be 1-128 characters of [A-Za-z0-9_.:-]', options);
}

/** A business identifier as publishers send it: a non-empty string (≤ 128 chars) or a safe integer. */
export function IsIdentifier(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) => {
    registerDecorator({
      name: 'isIdentifier',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: `${String(propertyName)} must be a non-empty string (max 128) or an integer`, ...options },
      validator: {
        validate: (value: unknown) => (typeof value === 'string' && value.length > 0 && value.length <= 128) || Number.isSafeInteger(value),
      },
    });
  };
}

import { registerDecorator, type ValidationOptions } from 'class-validator';

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

import type { ValidationError } from 'class-validator';
import { AppError, ErrorCode } from './app.errors';

/** One failed field: `path` uses dots and [index] like `messages[3].data.orderId`. */
export interface FieldError {
  readonly path: string;
  readonly errors: readonly string[];
}

/** Flattens class-validator's tree into field paths a client can act on. */
export function flattenValidationErrors(errors: readonly ValidationError[], prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const segment = /^\d+$/.test(error.property) ? `[${error.property}]` : prefix ? `.${error.property}` : error.property;
    const path = `${prefix}${segment}`;
    if (error.constraints) out.push({ path, errors: Object.values(error.constraints) });
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, path));
  }
  return out;
}

export function validationFailed(fields: readonly FieldError[], message?: string): AppError {
  const summary =
    message ??
    fields
      .map((field) => `${field.path || '(payload)'}: ${field.errors[0]}`)
      .slice(0, 3)
      .join('; ');
  return new AppError(ErrorCode.VALIDATION_FAILED, summary || 'Invalid payload', fields);
}

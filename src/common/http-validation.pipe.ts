import { ValidationPipe } from '@nestjs/common';
import { flattenValidationErrors, validationFailed } from './validation';

/** Body validation for the HTTP API: unknown fields are refused, failures are VALIDATION_FAILED with paths. */
export function httpValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => validationFailed(flattenValidationErrors(errors)),
  });
}

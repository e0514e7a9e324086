import { Injectable, ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import { AppError, ErrorCode } from '../common/app.errors';
import { MAX_JSON_DEPTH } from '../common/json-depth';
import { flattenValidationErrors, validationFailed } from '../common/validation';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Rejects prototype-polluting keys and absurd nesting before class-transformer sees the payload. */
function inspect(value: unknown, path: string, depth: number): void {
  if (typeof value !== 'object' || value === null) return;
  if (depth > MAX_JSON_DEPTH)
    throw new AppError(ErrorCode.VALIDATION_FAILED, `${path || 'payload'} is nested deeper than ${MAX_JSON_DEPTH} levels`);
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) {
      throw new AppError(ErrorCode.VALIDATION_FAILED, `${path ? `${path}.` : ''}${key} is not an allowed key`, [
        { path: path ? `${path}.${key}` : key, errors: ['forbidden key'] },
      ]);
    }
    inspect((value as Record<string, unknown>)[key], path ? `${path}.${key}` : key, depth + 1);
  }
}

/**
 * The gateway pipe: payload must be a plain object, then class-validator with whitelist,
 * forbidNonWhitelisted and transform. Failures become VALIDATION_FAILED with field paths,
 * raised as WsException so the gateway filter answers them in the ack.
 */
@Injectable()
export class WsValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => new WsException(validationFailed(flattenValidationErrors(errors)).toBody()),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'body') return value;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new WsException(new AppError(ErrorCode.VALIDATION_FAILED, 'payload must be a JSON object').toBody());
    }
    try {
      inspect(value, '', 0);
    } catch (error) {
      throw new WsException((error as AppError).toBody());
    }
    return super.transform(value, metadata);
  }
}

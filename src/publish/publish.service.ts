import { Inject, Injectable } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';
import type { Principal } from '../common/principal';
import { tenantOf } from '../auth/tenant';
import { parseChannel } from '../channels/channel-name';
import { channelRef } from '../channels/channel-ref';
import { AppError, ErrorCode } from '../common/app.errors';
import { compileDto, type SchemaValidator } from '../common/schema-validation';
import { validationFailed, type FieldError } from '../common/validation';
import { APP_CONFIG, keepsDebugLines, type AppConfig } from '../config';
import { EventBus, type PublishRequest, type PublishResult } from '../bus/event-bus.service';
import { ROOT_LOGGER } from '../logging/logging.module';
import { NamespaceRegistry, snapshotKeyOf } from '../realtime/namespace.registry';
import { PublishMessageDto } from './dto/publish-message.dto';
import { MetricsService } from '../metrics/metrics.service';
import type { Mutable } from '../common/mutable';

/**
 * Turns validated HTTP messages into bus publishes: resolves the tenant, checks the event
 * against the namespace's catalog and its data DTO, enforces the data size limit. A batch is
 * validated whole before anything is published, so a bad message never half-sends a batch.
 */
@Injectable()
export class PublishService {
  /** pino itself, not Nest's Logger: see ROOT_LOGGER. */
  private readonly logger: PinoLogger;
  /** Each catalog DTO compiled once (see schema-validation.ts). */
  private readonly dataValidators = new Map<unknown, SchemaValidator>();
  private readonly envelopeValidator = compileDto(PublishMessageDto, { closed: true });
  /** Building the per-event list costs as much as logging it; only when debug lines are kept. */
  private readonly eventsLogged: boolean;
  constructor(
    private readonly bus: EventBus,
    private readonly registry: NamespaceRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) root: PinoLogger,
    private readonly metrics: MetricsService,
  ) {
    this.eventsLogged = keepsDebugLines(config.log);
    this.logger = root.child({ context: 'Publish' });
  }

  /**
   * `correlationId` (the HTTP request's) is stamped on every event that does not bring its own,
   * so one id follows a publish from the request log line to every client that receives it.
   */
  async publish(
    principal: Principal,
    messages: readonly PublishMessageDto[],
    paths: (index: number) => string,
    correlationId?: string,
  ): Promise<PublishResult[]> {
    const requests: PublishRequest[] = [];
    const fieldErrors: FieldError[] = [];
    messages.forEach((message, index) => {
      try {
        requests.push(this.prepare(principal, message, paths(index), correlationId));
      } catch (error) {
        // Collect every validation problem of a batch; anything else (403, 413) stops at once.
        if (error instanceof AppError && error.code === ErrorCode.VALIDATION_FAILED) {
          fieldErrors.push(...((error.details as FieldError[] | undefined) ?? []));
        } else {
          throw error;
        }
      }
    });
    if (fieldErrors.length > 0) throw validationFailed(fieldErrors);
    const results = await this.bus.publish(requests);
    // One line per request, whatever its size, with the request's correlation id; payloads are
    // never logged. Each event's id and position only at debug level.
    const queued = results.reduce((count, result) => count + ('seq' in result ? 0 : 1), 0);
    const line: Record<string, unknown> = { msg: 'published', company: principal.companyId, count: results.length, correlationId };
    if (queued > 0) line.queued = queued;
    this.logger.info(line);
    if (this.eventsLogged) {
      this.logger.debug({
        msg: 'published events',
        company: principal.companyId,
        correlationId,
        events: results.map((result, index) => ({
          id: result.id,
          namespace: requests[index].ref.namespace,
          channel: result.channel,
          event: requests[index].event,
          correlationId: requests[index].correlationId,
          ...('seq' in result ? { seq: result.seq } : { queued: true }),
        })),
      });
    }
    return results;
  }

  /**
   * One message from outside the HTTP API (the outbox): its envelope checked by the same compiled
   * PublishMessageDto validator as a request body, then as `publish` checks each message. Throws
   * the same typed AppErrors (VALIDATION_FAILED with field paths, FORBIDDEN, PAYLOAD_TOO_LARGE).
   */
  prepareMessage(principal: Principal, message: unknown, correlationId?: string): PublishRequest {
    const errors = this.envelopeValidator(message, '');
    if (errors.length > 0) throw validationFailed(errors);
    return this.prepare(principal, message as PublishMessageDto, '', correlationId);
  }

  /** Namespaces register with the registry as their modules start; each DTO is compiled on first use. */
  private dataValidatorOf(dataClass: abstract new () => unknown): SchemaValidator {
    let validator = this.dataValidators.get(dataClass);
    if (!validator) {
      validator = compileDto(dataClass);
      this.dataValidators.set(dataClass, validator);
    }
    return validator;
  }

  private prepare(principal: Principal, message: PublishMessageDto, path: string, requestCorrelationId?: string): PublishRequest {
    const namespaceName = message.namespace.replace(/^\//, '');
    const namespace = this.registry.get(namespaceName);
    if (!namespace) {
      throw fieldError(`${path}namespace`, `unknown namespace "${message.namespace}"; one of: ${this.registry.names().join(', ')}`);
    }
    const companyId = tenantOf(principal, message.companyId ?? undefined, `${path}companyId`);
    const channel = parseChannel(message.channel, `${path}channel`);
    const dataClass = namespace.catalog[message.event];
    if (!dataClass) {
      throw fieldError(
        `${path}event`,
        `event "${message.event}" is not in the /${namespace.name} catalog: ${Object.keys(namespace.catalog).join(', ')}`,
      );
    }
    // Kept on the request: the engine builds the envelope's JSON around it (serialized once).
    const dataJson = JSON.stringify(message.data);
    const size = Buffer.byteLength(dataJson);
    if (size > this.config.limits.publishMaxDataBytes) {
      throw new AppError(
        ErrorCode.PAYLOAD_TOO_LARGE,
        `${path}data is ${size} bytes; the limit is ${this.config.limits.publishMaxDataBytes}`,
        {
          path: `${path}data`,
          size,
          limit: this.config.limits.publishMaxDataBytes,
        },
      );
    }
    // Required fields only: extra fields are the publisher's business and pass through untouched.
    const errors = this.dataValidatorOf(dataClass)(message.data, `${path}data`);
    if (errors.length > 0) throw validationFailed(errors);
    const snapshotKey = namespace.snapshot ? snapshotKeyOf(namespace.snapshot, message.event, message.data) : undefined;
    const request: Mutable<PublishRequest> = {
      ref: channelRef(companyId, namespace.name, channel),
      event: message.event,
      data: message.data,
      dataJson,
    };
    if (snapshotKey !== undefined) request.snapshotKey = snapshotKey;
    // An optional field sent as null is absent (as class-validator's @IsOptional has it).
    const correlationId = message.correlationId ?? requestCorrelationId;
    if (correlationId != null) request.correlationId = correlationId;
    if (message.idempotencyKey != null) request.idempotencyKey = message.idempotencyKey;
    this.metrics.observePayload(namespace.name, size);
    return request;
  }
}

function fieldError(path: string, message: string): AppError {
  return new AppError(ErrorCode.VALIDATION_FAILED, message, [{ path, errors: [message] }]);
}

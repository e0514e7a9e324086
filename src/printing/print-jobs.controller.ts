import { applyDecorators, Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res, UseGuards, UsePipes } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Principal } from '../common/principal';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { HttpAuthGuard, RequireRoles } from '../auth/http-auth.guard';
import { httpValidationPipe } from '../common/http-validation.pipe';
import { CreatePrintJobDto } from './dto/create-print-job.dto';
import { CompanyQueryDto, JobParamsDto, ResendPrintJobDto } from './dto/job-ref.dto';
import { viewOf, type JobStatus, type PrintJobView } from './print-job.model';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../openapi/api-errors.decorator';
import { PrintJobsService } from './print-jobs.service';

/** A job as the API answers it (PrintJobView), for the OpenAPI document. */
const JOB_VIEW_SCHEMA = {
  type: 'object',
  properties: {
    jobId: { type: 'string' },
    status: { type: 'string' },
    branchId: { type: 'string' },
    printerId: { type: 'string' },
    attempts: { type: 'integer' },
  },
  additionalProperties: true,
};

/** The path and query of a route on one job. */
const ApiJobRef = () =>
  applyDecorators(
    ApiParam({ name: 'jobId', type: 'string' }),
    ApiQuery({ name: 'companyId', required: false, description: 'Platform tokens only: the tenant.' }),
  );

/** Print jobs for backend services (role `service`). */
@ApiTags('print jobs')
@ApiBearerAuth()
@ApiErrors(400, 401, 403, 503)
@Controller('v1/print-jobs')
@UseGuards(HttpAuthGuard)
@RequireRoles('service')
@UsePipes(httpValidationPipe())
export class PrintJobsController {
  constructor(private readonly jobs: PrintJobsService) {}

  /** 202 `{ jobId, status: 'queued' }` for a new job; 200 with the existing job for a known jobId. */
  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Create a print job (role service)',
    description: 'Deduplicated by jobId: a known jobId answers 200 with the existing job.',
  })
  @ApiResponse({
    status: 202,
    description: 'Queued',
    schema: { type: 'object', properties: { jobId: { type: 'string' }, status: { type: 'string', enum: ['queued'] } } },
  })
  @ApiResponse({
    status: 200,
    description: 'The job already exists',
    schema: JOB_VIEW_SCHEMA,
  })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() request: CreatePrintJobDto,
    @Res({ passthrough: true }) response: FastifyReply,
  ): Promise<{ jobId: string; status: JobStatus } | PrintJobView> {
    const { created, job } = await this.jobs.create(principal, request);
    if (created) return { jobId: job.jobId, status: job.status };
    response.status(200);
    return viewOf(job);
  }

  @Get(':jobId')
  @ApiOperation({ summary: 'Read a print job (role service)' })
  @ApiJobRef()
  @ApiResponse({
    status: 200,
    description: 'The job',
    schema: JOB_VIEW_SCHEMA,
  })
  @ApiErrors(404)
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param() params: JobParamsDto,
    @Query() query: CompanyQueryDto,
  ): Promise<PrintJobView> {
    return viewOf(await this.jobs.get(principal, params.jobId, query.companyId));
  }

  /** Cancels a job no agent has acknowledged yet; 409 PRINT_JOB_CONFLICT afterwards. */
  @Delete(':jobId')
  @ApiOperation({ summary: 'Cancel a print job no agent has acknowledged (role service)' })
  @ApiJobRef()
  @ApiResponse({
    status: 200,
    description: 'The cancelled job',
    schema: JOB_VIEW_SCHEMA,
  })
  @ApiErrors(404, 409)
  async cancel(
    @CurrentPrincipal() principal: Principal,
    @Param() params: JobParamsDto,
    @Query() query: CompanyQueryDto,
  ): Promise<PrintJobView> {
    return viewOf(await this.jobs.cancel(principal, params.jobId, query.companyId));
  }

  /**
   * Prints a job again as a new job (`<jobId>.r<n>`, or `newJobId`), while its document is kept:
   * 202 with the copy, 200 for a `newJobId` already made from this job.
   */
  @Post(':jobId/resend')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Resend (reprint) a print job that left the queue (role service)',
    description:
      'A new job with the same document, branch, printer and copies. 409 while the job is still queued or dispatched; ' +
      '410 PRINT_DOCUMENT_GONE once its document is no longer kept (PRINT_DOCUMENT_RETENTION_SECONDS).',
  })
  @ApiParam({ name: 'jobId', type: 'string' })
  @ApiResponse({ status: 202, description: 'The copy, queued', schema: JOB_VIEW_SCHEMA })
  @ApiResponse({ status: 200, description: 'The copy made earlier under this newJobId', schema: JOB_VIEW_SCHEMA })
  @ApiErrors(404, 409, 410)
  async resend(
    @CurrentPrincipal() principal: Principal,
    @Param() params: JobParamsDto,
    @Body() request: ResendPrintJobDto,
    @Res({ passthrough: true }) response: FastifyReply,
  ): Promise<PrintJobView> {
    const { created, job } = await this.jobs.resend(principal, params.jobId, { companyId: request.companyId, copyId: request.newJobId });
    if (!created) response.status(200);
    return viewOf(job);
  }
}
